/**
 * Graph's JSON batching: `POST /$batch` with up to 20 requests, each answered as if sent alone
 * with the batch's token. Requests run at once unless `dependsOn` orders them; one that depends
 * on a request that failed gets 424. Answers come back in `responses`, JSON bodies as JSON and
 * other bodies (photo bytes) as base64, as Graph sends them; a request body that is not JSON
 * (a photo to upload) is given as base64. A malformed batch is refused whole with 400.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { GraphError } from "../errors.ts";
import { BATCH_STEP_ADDRESS, type BodyAdmission } from "./body-admission.ts";
import { graphErrorBody } from "./error-renderer.ts";
import { apiVersion } from "./odata.ts";
import { clientRequestId } from "./request-context.ts";

export interface BatchRouteOptions {
  /** The whole app's `inject`, which runs each request through every hook and route. */
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  maxUploadBytes: number;
  /** Admits batches before their bodies are read, shared with photo uploads. */
  bodies: BodyAdmission;
}

const JSON_TYPE = "application/json";

/** Graph's limit on requests in one batch. */
const MAX_BATCH_REQUESTS = 20;

const METHODS = new Set(["GET", "PUT", "PATCH", "POST", "DELETE"]);
/** Response headers a batch answer carries, spelled as Graph spells them. */
const KEPT_HEADERS: Record<string, string> = {
  "content-type": "Content-Type",
  etag: "ETag",
  "cache-control": "Cache-Control",
  location: "Location",
  "retry-after": "Retry-After",
  "www-authenticate": "WWW-Authenticate",
};

interface Step {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  dependsOn: string[];
}

interface Answer {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export async function batchRoutes(app: FastifyInstance, options: BatchRouteOptions) {
  // A batch may carry one photo of the largest size, base64-encoded, with room for the rest.
  const bodyLimit = Math.ceil((options.maxUploadBytes * 4) / 3) + 1024 * 1024;
  const preParsing = options.bodies.admit;
  app.post("/$batch", { bodyLimit, preParsing }, async (request) => {
    const version = apiVersion(request);
    const steps = readBatch(request.body, version);
    const authorization = request.headers.authorization ?? "";
    const ids = [request.id, clientRequestId(request.headers, request.id)] as const;
    /** The answer of a request that was not run, in Graph's error shape. */
    const notRun = (id: string, error: GraphError): Answer => ({
      id,
      status: error.status,
      headers: {
        "Content-Type": JSON_TYPE,
        ...(error.retryAfter !== undefined && { "Retry-After": String(error.retryAfter) }),
      },
      body: graphErrorBody(error, ...ids),
    });
    const answers = new Map<string, Promise<Answer>>();
    const run = (step: Step): Promise<Answer> => {
      const known = answers.get(step.id.toLowerCase());
      if (known) return known;
      const answer = (async () => {
        const before = await Promise.all(
          step.dependsOn.map((id) => run(steps.get(id.toLowerCase()) as Step)),
        );
        if (before.some((done) => done.status < 200 || done.status > 299)) {
          return notRun(step.id, new GraphError("FailedDependency"));
        }
        return send(options.inject, authorization, step).catch((error: unknown) => {
          // Once the app is closing it runs no new request: this one was not run.
          if ((error as { code?: unknown }).code !== "FST_ERR_REOPENED_CLOSE_SERVER") throw error;
          return notRun(
            step.id,
            new GraphError("serviceNotAvailable", undefined, { retryAfter: 1 }),
          );
        });
      })();
      answers.set(step.id.toLowerCase(), answer);
      return answer;
    };
    return { responses: await Promise.all([...steps.values()].map(run)) };
  });
}

async function send(
  inject: BatchRouteOptions["inject"],
  authorization: string,
  step: Step,
): Promise<Answer> {
  const response = await inject({
    method: step.method as InjectOptions["method"],
    url: step.url,
    headers: { ...step.headers, authorization },
    remoteAddress: BATCH_STEP_ADDRESS,
    ...(step.body !== undefined && { payload: step.body }),
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const spelled = KEPT_HEADERS[name];
    if (spelled && value !== undefined) headers[spelled] = String(value);
  }
  const answer: Answer = { id: step.id, status: response.statusCode, headers };
  if (response.rawPayload.length > 0) {
    const json = headers["Content-Type"]?.startsWith("application/json");
    answer.body = json ? response.json() : response.rawPayload.toString("base64");
  }
  return answer;
}

/** The batch's steps by lower-cased id, in their order; any fault refuses the whole batch. */
function readBatch(body: unknown, version: string): Map<string, Step> {
  const requests = isObject(body) ? body.requests : undefined;
  if (!Array.isArray(requests) || requests.length === 0) {
    throw invalid("the body must be a JSON object with a non-empty 'requests' array");
  }
  if (requests.length > MAX_BATCH_REQUESTS) {
    throw invalid(`a batch holds at most ${MAX_BATCH_REQUESTS} requests, not ${requests.length}`);
  }
  const steps = new Map<string, Step>();
  for (const raw of requests) {
    const step = readStep(raw, version);
    const key = step.id.toLowerCase();
    if (steps.has(key)) throw invalid(`request id '${step.id}' is used twice`);
    steps.set(key, step);
  }
  for (const step of steps.values()) {
    for (const id of step.dependsOn) {
      if (!steps.has(id.toLowerCase())) {
        throw invalid(`request '${step.id}' depends on '${id}', which is not in the batch`);
      }
    }
  }
  refuseCycles(steps);
  return steps;
}

function readStep(raw: unknown, version: string): Step {
  if (!isObject(raw)) throw invalid("every request must be a JSON object");
  const { id, method, url, headers = {}, body, dependsOn = [] } = raw;
  if (typeof id !== "string" || id === "") throw invalid("every request needs a string 'id'");
  const verb = typeof method === "string" ? method.toUpperCase() : "";
  if (!METHODS.has(verb)) throw invalid(`request '${id}' has no supported 'method'`);
  if (
    typeof url !== "string" ||
    url === "" ||
    /^[a-z][a-z0-9+.-]*:|^\/\/|(?:^|\/)\.\.?(?:[/?]|$)/i.test(url)
  ) {
    throw invalid(`request '${id}' needs a relative 'url' such as /me/photo/$value`);
  }
  const target = targetOf(id, url, version);
  if (!isObject(headers) || !Object.values(headers).every((v) => typeof v === "string")) {
    throw invalid(`request '${id}' has 'headers' that are not an object of strings`);
  }
  if (!Array.isArray(dependsOn) || !dependsOn.every((d) => typeof d === "string")) {
    throw invalid(`request '${id}' has a 'dependsOn' that is not a list of ids`);
  }
  const named = Object.fromEntries(
    Object.entries(headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
  );
  // The batch's token decides.
  delete named.authorization;
  const type = named["content-type"];
  if (body !== undefined && type === undefined) {
    throw invalid(`request '${id}' has a 'body' but no Content-Type header`);
  }
  return {
    id,
    method: verb,
    url: target,
    headers: named,
    body: body === undefined ? undefined : readBody(id, body, type ?? ""),
    dependsOn: dependsOn as string[],
  };
}

const BASE = "http://batch.invalid";

/**
 * The path and query a step's `url` runs as: under the batch's version unless it names one (the
 * official SDKs send the path of an absolute URL, version included), as the URL parser reads
 * it (which drops a fragment, tabs and newlines, reads `\` as `/` and resolves `%2e%2e`), so
 * that what is checked is what runs. A batch in a batch is refused. (A path that starts with
 * the version cannot leave the service: the parser reads it against `BASE` as a path.)
 */
function targetOf(id: string, url: string, version: string): string {
  const path = url.startsWith("/") ? url : `/${url}`;
  const versioned = /^\/(v1\.0|beta)\//i.test(path) ? path : `/${version}${path}`;
  const parsed = new URL(versioned, BASE);
  if (/^\/(?:(?:v1\.0|beta)\/)?\$batch(?:\/|$)/i.test(parsed.pathname.replace(/%24/gi, "$"))) {
    throw invalid(`request '${id}' is a batch in a batch`);
  }
  return `${parsed.pathname}${parsed.search}`;
}

/** A JSON body as JSON text; any other body is base64 (Graph: "a base64 URL-encoded value"). */
function readBody(id: string, body: unknown, type: string): string | Buffer {
  if (type.toLowerCase().startsWith("application/json")) {
    try {
      return JSON.stringify(body);
    } catch {
      // A body nested deeper than the stack allows: the client's, not the service's, fault.
      throw invalid(`request '${id}' has a JSON body nested too deeply`);
    }
  }
  if (typeof body !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(body)) {
    throw invalid(`request '${id}' has a ${type} body that is not base64`);
  }
  return Buffer.from(body, "base64");
}

function refuseCycles(steps: Map<string, Step>): void {
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string) => {
    if (state.get(key) === "done") return;
    if (state.get(key) === "visiting") throw invalid("the requests' dependsOn form a cycle");
    state.set(key, "visiting");
    for (const id of steps.get(key)?.dependsOn ?? []) visit(id.toLowerCase());
    state.set(key, "done");
  };
  for (const key of steps.keys()) visit(key);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(detail: string): GraphError {
  return new GraphError("BadRequest", `Invalid batch payload: ${detail}.`);
}
