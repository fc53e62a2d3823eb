/** The upload client of the benchmarks: sequential timed uploads and concurrent throughput. */
import { PHOTO_SIZES } from "../../src/photos/sizes.ts";

export interface SequentialResult {
  /** Time from request to 200 as the client saw it, ms. */
  clientMs: number[];
  /** Time Fastify measured for the upload (from `/metrics`), ms; the client's when unavailable. */
  serverMs: number[];
  /** Byte lengths of the stored sizes after the last upload, smallest first. */
  lengths: number[];
}

async function put(url: string, token: string, id: string, photo: Buffer): Promise<number> {
  const response = await fetch(`${url}/v1.0/users/${id}/photo/$value`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
    body: photo,
  });
  await response.arrayBuffer();
  return response.status;
}

/** Sum and count of Fastify's response times so far, from `/metrics`. */
async function responseTimes(url: string): Promise<{ sum: number; count: number } | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = /^portrait_http_response_seconds_sum ([\d.e+-]+)$/m.exec(text)?.[1];
  const count = /^portrait_http_response_seconds_count (\d+)$/m.exec(text)?.[1];
  return sum && count ? { sum: Number(sum), count: Number(count) } : undefined;
}

/**
 * `warmup` then `count` uploads one after another, each to the next user. The server's time of
 * an upload is the growth of Fastify's response-time sum between two `/metrics` reads around it,
 * less the time of a `/metrics` request itself (measured the same way beforehand).
 */
export async function sequentialUploads(
  url: string,
  token: string,
  ids: readonly string[],
  photo: Buffer,
  warmup: number,
  count: number,
): Promise<SequentialResult> {
  const clientMs: number[] = [];
  const serverMs: number[] = [];
  let metricsMs = 0;
  {
    const a = await responseTimes(url);
    const b = await responseTimes(url);
    if (a && b) metricsMs = (b.sum - a.sum) * 1000;
  }
  for (let i = 0; i < warmup + count; i++) {
    const id = ids[i % ids.length] as string;
    const before = await responseTimes(url);
    const started = performance.now();
    const status = await put(url, token, id, photo);
    const client = performance.now() - started;
    const after = await responseTimes(url);
    if (status !== 200) throw new Error(`upload answered ${status}`);
    if (i < warmup) continue;
    clientMs.push(client);
    // Exactly the /metrics read and the upload in between: otherwise use the client's time.
    const server =
      before && after && after.count - before.count === 2
        ? (after.sum - before.sum) * 1000 - metricsMs
        : client;
    serverMs.push(server);
  }
  const last = ids[(warmup + count - 1) % ids.length] as string;
  const lengths: number[] = [];
  for (const edge of PHOTO_SIZES) {
    const response = await fetch(`${url}/v1.0/users/${last}/photos/${edge}x${edge}/$value`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await response.arrayBuffer();
    if (response.status === 200) lengths.push(body.byteLength);
  }
  return { clientMs, serverMs, lengths };
}

export interface ThroughputResult {
  perSecond: number;
  ok: number;
  /** 503 answers: the image queue was full. */
  refused: number;
}

/** `clients` uploaders, each uploading again as soon as it has its answer, for `seconds`. */
export async function uploadsPerSecond(
  url: string,
  token: string,
  ids: readonly string[],
  photo: Buffer,
  clients: number,
  seconds: number,
): Promise<ThroughputResult> {
  let ok = 0;
  let refused = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const status = await put(url, token, ids[next++ % ids.length] as string, photo);
        if (status === 200) ok++;
        else if (status === 503) refused++;
        else throw new Error(`upload answered ${status}`);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: ok / elapsed, ok, refused };
}
