/**
 * HTTP/1.1 on a bare TCP socket, for what fetch cannot do: send a request head without its
 * body, stream a chunked body at the test's pace, stop half-way, and see exactly when the
 * server answers and when it closes the connection.
 */
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawConnection {
  /** Resolves true once written, false if the connection is gone (closed or reset). */
  write(bytes: Buffer | string): Promise<boolean>;
  /** The first complete response. Rejects if the connection closes before one arrives. */
  readonly response: Promise<RawResponse>;
  /** Resolves when the socket is fully closed, by either side. */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  /** True once the response has fully arrived. */
  hasResponse(): boolean;
  /** Half-closes: no more bytes from the client. */
  end(): void;
  destroy(): void;
}

export function openRaw(port: number, host = "127.0.0.1"): Promise<RawConnection> {
  const socket = connect({ port, host });
  let received = Buffer.alloc(0);
  let parsed: RawResponse | undefined;
  let closed = false;
  let resolveResponse: (response: RawResponse) => void = () => {};
  let rejectResponse: (error: Error) => void = () => {};
  const response = new Promise<RawResponse>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  // A test may never await the response (e.g. when it expects none); avoid an unhandled rejection.
  response.catch(() => {});

  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (!parsed) {
      parsed = parseResponse(received);
      if (parsed) resolveResponse(parsed);
    }
  });
  // Resets and broken pipes are expected when a server refuses a body: they end the exchange.
  socket.on("error", () => {});
  const closedPromise = new Promise<void>((resolve) => {
    socket.on("close", () => {
      closed = true;
      if (!parsed) {
        parsed = parseResponse(received, true);
        if (parsed) resolveResponse(parsed);
        else rejectResponse(new Error("the connection closed without a complete response"));
      }
      resolve();
    });
  });

  const connection: RawConnection = {
    write: (bytes) =>
      new Promise((resolve) => {
        if (closed || socket.destroyed || !socket.writable) return resolve(false);
        socket.write(bytes, (error) => resolve(!error));
      }),
    response,
    closed: closedPromise,
    isClosed: () => closed,
    hasResponse: () => parsed !== undefined,
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(connection));
    socket.once("error", reject);
  });
}

/** A request head (request line, headers, blank line). Host is added. */
export function requestHead(
  method: string,
  path: string,
  port: number,
  headers: Record<string, string | number>,
): string {
  const lines = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** One chunk of a chunked body; an empty chunk is the terminating one. */
export function chunk(data: Buffer): Buffer {
  if (data.length === 0) return Buffer.from("0\r\n\r\n");
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")]);
}

/** A complete response in `bytes` (by Content-Length), or undefined while more is due. */
function parseResponse(bytes: Buffer, atClose = false): RawResponse | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const body = bytes.subarray(end + 4);
  const length = headers["content-length"];
  if (length === undefined) return atClose ? { status, headers, body } : undefined;
  if (body.length < Number(length)) return undefined;
  return { status, headers, body: body.subarray(0, Number(length)) };
}
