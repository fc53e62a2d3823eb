/**
 * A minimal HTTP/1.1 client on `node:http` with one fresh connection per request (no agent, no
 * keep-alive), so a request's fate is its own: an answer, or a connection-level failure when the
 * server dies, refuses or resets.
 */
import { request as httpRequest } from "node:http";

export interface HttpAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpRequestOptions {
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Rejects (and destroys the socket) when no complete answer came in this time; default 60 s. */
  timeoutMs?: number;
}

/** A request that got no HTTP answer: refused, reset, closed early or timed out. */
export interface ConnectionFailure {
  code: string;
  message: string;
}

export type HttpOutcome =
  | { ok: true; answer: HttpAnswer }
  | { ok: false; failure: ConnectionFailure };

/** Sends one request to `baseUrl` (`http://host:port`) + `path`. Never rejects. */
export function send(
  baseUrl: string,
  method: string,
  path: string,
  options: HttpRequestOptions = {},
): Promise<HttpOutcome> {
  const url = new URL(path, baseUrl);
  const body = options.body;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const fail = (error: NodeJS.ErrnoException) =>
      finish({ ok: false, failure: { code: error.code ?? "ERROR", message: error.message } });
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: "close",
          ...(body && { "content-length": String(body.byteLength) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("aborted", () =>
          fail(Object.assign(new Error("response aborted"), { code: "ABORTED" })),
        );
        res.on("end", () => {
          if (!res.complete) {
            fail(Object.assign(new Error("response cut short"), { code: "ABORTED" }));
            return;
          }
          finish({
            ok: true,
            answer: {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            },
          });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error("no answer in time"), { code: "TIMEOUT" }));
    }, options.timeoutMs ?? 60_000);
    req.on("error", fail);
    req.end(body);
  });
}

/** The single value of a header, or undefined. */
export function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}
