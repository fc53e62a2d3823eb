/**
 * One access-log line per request, at `info`, written when the response is sent: request id
 * (`reqId`), `method`, `url`, `remoteAddress`, `statusCode` and `responseTime` (ms). Fastify's
 * own request logging (a line when the request arrives, another when it ends) is off: one line
 * says the same for less.
 */
import type { FastifyBaseLogger, FastifyInstance } from "fastify";

/** The levels at which `info` lines are written. */
const LOGS_INFO = new Set(["trace", "debug", "info"]);

/** One response's line, for responses sent outside Fastify (`fast-read.ts`). */
export type AccessLine = (line: {
  reqId: string;
  method: string;
  url: string;
  remoteAddress: string | undefined;
  statusCode: number;
  responseTime: number;
}) => void;

/** Writes the same line as the hook below through `log`; undefined when `info` is not logged. */
export function accessLine(log: FastifyBaseLogger): AccessLine | undefined {
  if (!LOGS_INFO.has(log.level)) return undefined;
  return (line) => log.info(line, "request completed");
}

export function registerAccessLog(app: FastifyInstance): void {
  if (!LOGS_INFO.has(app.log.level)) return;
  app.addHook("onResponse", (request, reply, done) => {
    // Flat fields: nested request and reply serializers cost more than the write itself.
    request.log.info(
      {
        method: request.method,
        url: request.url,
        remoteAddress: request.ip,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
      },
      "request completed",
    );
    done();
  });
}
