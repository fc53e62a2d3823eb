/**
 * The baselines serve exactly what Portrait serves: every request path is fetched from Portrait
 * once and its body written to a file at that path, for nginx to serve from disk and the bare
 * server from memory.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";

/**
 * Every file under `root`, by its URL path (`/v1.0/...`), with its bytes and an entity tag as
 * Portrait computes them: what the in-memory baselines serve.
 */
export function readTree(root: string): Map<string, { body: Buffer; etag: string }> {
  const files = new Map<string, { body: Buffer; etag: string }>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const body = readFileSync(path);
        const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
        files.set(`/${relative(root, path).split(sep).join("/")}`, { body, etag });
      }
    }
  };
  walk(root);
  return files;
}

export interface PathRequest {
  path: string;
  headers: Record<string, string>;
}

export interface Fetched {
  /** Content-Type Portrait answered with. */
  contentType: string;
  /** Body of the first request, to check the baselines answer the same bytes. */
  sample: { path: string; body: Buffer };
}

/** Fetches every path from `url` (8 at a time) and writes the bodies under `root`. */
export async function mirror(
  url: string,
  requests: readonly PathRequest[],
  root: string,
): Promise<Fetched> {
  let contentType = "";
  let next = 0;
  const work = async () => {
    while (next < requests.length) {
      const request = requests[next++] as PathRequest;
      const response = await fetch(`${url}${request.path}`, { headers: request.headers });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) {
        throw new Error(`GET ${request.path}: ${response.status} ${body.toString().slice(0, 300)}`);
      }
      contentType = response.headers.get("content-type") ?? "application/octet-stream";
      const file = join(root, request.path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
  const first = requests[0];
  if (!first) throw new Error("no requests");
  const body = Buffer.from(
    await (await fetch(`${url}${first.path}`, { headers: first.headers })).arrayBuffer(),
  );
  return { contentType, sample: { path: first.path, body } };
}

/** True when `url` answers `sample.path` with exactly `sample.body`. */
export async function servesSame(url: string, sample: Fetched["sample"]): Promise<boolean> {
  const response = await fetch(`${url}${sample.path}`);
  const body = Buffer.from(await response.arrayBuffer());
  return response.status === 200 && body.equals(sample.body);
}
