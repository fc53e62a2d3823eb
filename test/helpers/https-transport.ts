/**
 * The last link of a Graph SDK middleware chain, in place of the SDK's fetch-based
 * `HTTPMessageHandler`: sends the request with `node:https`, trusting exactly the given CA, and
 * hands the SDK a fetch `Response`. Node's built-in fetch can only be given another CA through
 * an undici `Agent`, which Node does not expose; this keeps certificate checks on, for this
 * client only. It also records what the SDK sent, so tests can see the SDK's own headers.
 */
import { request } from "node:https";
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";

export interface SentRequest {
  method: string;
  url: string;
  headers: Headers;
}

export interface HttpsTransport extends Middleware {
  /** Every request the SDK handed to the transport, in order. */
  readonly sent: SentRequest[];
}

/** Statuses whose fetch `Response` must have a null body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export function createHttpsTransport(ca: Buffer | string): HttpsTransport {
  const sent: SentRequest[] = [];
  return {
    sent,
    async execute(context: Context) {
      if (typeof context.request !== "string") {
        throw new TypeError("the HTTPS test transport expects a URL string request");
      }
      const options = context.options ?? {};
      const method = options.method ?? "GET";
      const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
      sent.push({ method, url: context.request, headers });
      context.response = await send(context.request, method, headers, bodyOf(options.body), ca);
    },
  };
}

function bodyOf(body: unknown): Buffer | string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || Buffer.isBuffer(body)) return body;
  throw new TypeError("the HTTPS test transport sends string and Buffer bodies only");
}

function send(
  url: string,
  method: string,
  headers: Headers,
  body: Buffer | string | undefined,
  ca: Buffer | string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: Object.fromEntries(headers), ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const item of Array.isArray(value) ? value : [value]) {
            if (item !== undefined) responseHeaders.append(name, item);
          }
        }
        const payload = NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks);
        resolve(
          new Response(payload, {
            status,
            statusText: res.statusMessage ?? "",
            headers: responseHeaders,
          }),
        );
      });
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
