/**
 * Validation of the Graph properties clients may set on directory objects.
 * Properties outside a type's list are refused, as Graph does; values are type-checked.
 */
import { GraphError } from "../errors.ts";

type Kind = "string" | "boolean" | "stringArray" | "emailArray";

export type PropertySchema = Readonly<Record<string, Kind>>;

export const USER_PROPERTIES: PropertySchema = {
  displayName: "string",
  userPrincipalName: "string",
  mailNickname: "string",
  accountEnabled: "boolean",
  givenName: "string",
  surname: "string",
  mail: "string",
  jobTitle: "string",
  department: "string",
  officeLocation: "string",
  mobilePhone: "string",
  businessPhones: "stringArray",
  preferredLanguage: "string",
  usageLocation: "string",
  companyName: "string",
  employeeId: "string",
  city: "string",
  country: "string",
};

export const GROUP_PROPERTIES: PropertySchema = {
  displayName: "string",
  mailNickname: "string",
  mailEnabled: "boolean",
  securityEnabled: "boolean",
  description: "string",
  groupTypes: "stringArray",
  visibility: "string",
  mail: "string",
};

/**
 * Graph's other properties of a type, which Portrait does not keep: a client may `$select`
 * them (code written for Graph does), and they read as Graph reads an unset property, `null`,
 * or `[]` for a collection. They cannot be filtered on, nor written.
 */
export type UnkeptProperties = Readonly<Record<string, null | readonly []>>;

const NONE: readonly [] = Object.freeze([]) as readonly [];

export const USER_UNKEPT: UnkeptProperties = {
  ...Object.fromEntries(
    [
      "ageGroup",
      "createdDateTime",
      "creationType",
      "deletedDateTime",
      "employeeHireDate",
      "employeeType",
      "externalUserState",
      "faxNumber",
      "lastPasswordChangeDateTime",
      "onPremisesDomainName",
      "onPremisesImmutableId",
      "onPremisesLastSyncDateTime",
      "onPremisesSamAccountName",
      "onPremisesSyncEnabled",
      "onPremisesUserPrincipalName",
      "postalCode",
      "securityIdentifier",
      "showInAddressList",
      "state",
      "streetAddress",
      "userType",
    ].map((name) => [name, null]),
  ),
  ...Object.fromEntries(
    ["assignedLicenses", "identities", "imAddresses", "otherMails", "proxyAddresses"].map(
      (name) => [name, NONE],
    ),
  ),
};

export const GROUP_UNKEPT: UnkeptProperties = {
  ...Object.fromEntries(
    [
      "classification",
      "createdDateTime",
      "deletedDateTime",
      "expirationDateTime",
      "isAssignableToRole",
      "membershipRule",
      "membershipRuleProcessingState",
      "onPremisesLastSyncDateTime",
      "onPremisesSyncEnabled",
      "preferredDataLocation",
      "preferredLanguage",
      "renewedDateTime",
      "securityIdentifier",
      "theme",
    ].map((name) => [name, null]),
  ),
  ...Object.fromEntries(
    ["proxyAddresses", "resourceBehaviorOptions", "resourceProvisioningOptions"].map((name) => [
      name,
      NONE,
    ]),
  ),
};

export const CONTACT_PROPERTIES: PropertySchema = {
  displayName: "string",
  givenName: "string",
  middleName: "string",
  surname: "string",
  nickName: "string",
  title: "string",
  companyName: "string",
  department: "string",
  jobTitle: "string",
  officeLocation: "string",
  businessPhones: "stringArray",
  homePhones: "stringArray",
  mobilePhone: "string",
  emailAddresses: "emailArray",
  personalNotes: "string",
  birthday: "string",
  categories: "stringArray",
};

export const FOLDER_PROPERTIES: PropertySchema = {
  displayName: "string",
};

/** Properties a client may send but that Portrait does not keep (write-only in Graph). */
const IGNORED = new Set(["passwordProfile", "passwordPolicies", "@odata.type"]);

/**
 * Checks a request body against a schema and returns the accepted properties.
 * `extra` names properties the caller handles itself (`id`, `owners@odata.bind`).
 */
export function readProperties(
  body: unknown,
  schema: PropertySchema,
  typeName: string,
  extra: readonly string[] = [],
): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object.");
  }
  const accepted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (IGNORED.has(name) || extra.includes(name)) continue;
    // Only the schema's own names: `constructor` or `toString` are no properties of a user.
    const kind = Object.hasOwn(schema, name) ? schema[name] : undefined;
    if (kind === undefined) {
      throw badRequest(`Property '${name}' does not exist on type '${typeName}'.`);
    }
    if (value === null) {
      accepted[name] = null;
      continue;
    }
    if (!hasKind(value, kind)) {
      throw badRequest(`Property '${name}' of type '${typeName}' has an invalid value.`);
    }
    accepted[name] = value;
  }
  return accepted;
}

/** Requires string properties to be present and non-empty. */
export function requireStrings(props: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const value = props[name];
    if (typeof value !== "string" || value.trim() === "") {
      throw badRequest(`Property '${name}' is required and must be a non-empty string.`);
    }
  }
}

/**
 * Text of at most 1024 characters without NUL, which no directory text holds (and PostgreSQL
 * cannot store), so that every store keeps what another would.
 */
function isText(value: unknown): value is string {
  return typeof value === "string" && value.length <= 1024 && !value.includes("\u0000");
}

function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return isText(value);
    case "boolean":
      return typeof value === "boolean";
    case "stringArray":
      return Array.isArray(value) && value.length <= 100 && value.every(isText);
    case "emailArray":
      return (
        Array.isArray(value) &&
        value.length <= 100 &&
        value.every(
          (item) =>
            item !== null &&
            typeof item === "object" &&
            Object.entries(item).every(
              ([key, inner]) => (key === "address" || key === "name") && isText(inner),
            ),
        )
      );
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export function badRequest(message: string): GraphError {
  return new GraphError("Request_BadRequest", message);
}

/** The object as clients see it: `id` first, internal `_` properties left out. */
export function publicView(id: string, data: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = { id };
  for (const [name, value] of Object.entries(data)) {
    if (!name.startsWith("_")) view[name] = value;
  }
  return view;
}
