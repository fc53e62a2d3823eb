/** The GET endpoints the benchmarks request, by short name. */

export interface Endpoint {
  title: string;
  path(userId: string): string;
}

export const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  "48": {
    title: "GET /v1.0/users/{id}/photos/48x48/$value (48x48 JPEG bytes)",
    path: (id) => `/v1.0/users/${id}/photos/48x48/$value`,
  },
  "648": {
    title: "GET /v1.0/users/{id}/photo/$value (648x648 JPEG bytes)",
    path: (id) => `/v1.0/users/${id}/photo/$value`,
  },
  photo: {
    title: "GET /v1.0/users/{id}/photo (metadata of the largest size, JSON)",
    path: (id) => `/v1.0/users/${id}/photo`,
  },
  photos: {
    title: "GET /v1.0/users/{id}/photos (metadata of every size, JSON)",
    path: (id) => `/v1.0/users/${id}/photos`,
  },
};

/** The endpoints named, or exits with a message naming the unknown one. */
export function chooseEndpoints(names: readonly string[]): [string, Endpoint][] {
  return names.map((name) => {
    const endpoint = ENDPOINTS[name];
    if (!endpoint) {
      console.error(`unknown endpoint ${name}; use ${Object.keys(ENDPOINTS).join(", ")}`);
      process.exit(2);
    }
    return [name, endpoint];
  });
}
