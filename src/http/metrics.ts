/** Request and image-queue metrics in the Prometheus text format. */
import type { FastifyInstance } from "fastify";
import type { PhotoCacheStats } from "../photos/photo-service.ts";

export interface Metrics {
  /** One response sent; `fast` when the read fast path (`fast-read.ts`) sent it. */
  record(method: string, statusCode: number, elapsedMs: number, fast?: boolean): void;
  render(): string;
}

export interface MetricSources {
  images: () => { active: number; queued: number };
  /** Uploads and batches admitted and not yet answered (`body-admission.ts`). */
  bodiesInFlight: () => number;
  /** Undefined when the photo byte cache is off (`PHOTO_CACHE_MB=0`). */
  photoCache: () => PhotoCacheStats | undefined;
}

export function createMetrics(sources: MetricSources): Metrics {
  /** Counts by method, then status: no label string is built per response. */
  const responses = new Map<string, Map<number, number>>();
  let fastResponses = 0;
  let durationSum = 0;
  let durationCount = 0;

  return {
    record(method, statusCode, elapsedMs, fast = false) {
      let byStatus = responses.get(method);
      if (!byStatus) {
        byStatus = new Map();
        responses.set(method, byStatus);
      }
      byStatus.set(statusCode, (byStatus.get(statusCode) ?? 0) + 1);
      if (fast) fastResponses += 1;
      durationSum += elapsedMs / 1000;
      durationCount += 1;
    },

    render() {
      const memory = process.memoryUsage();
      const images = sources.images();
      const cache = sources.photoCache() ?? {
        hits: 0,
        misses: 0,
        entries: 0,
        bytes: 0,
        maxBytes: 0,
      };
      const lines = [
        "# HELP portrait_http_responses_total HTTP responses by method and status.",
        "# TYPE portrait_http_responses_total counter",
        ...[...responses].flatMap(([method, byStatus]) =>
          [...byStatus].map(
            ([status, count]) =>
              `portrait_http_responses_total{method="${method}",status="${status}"} ${count}`,
          ),
        ),
        "# HELP portrait_http_fast_path_responses_total Responses sent by the photo read fast path (also counted above).",
        "# TYPE portrait_http_fast_path_responses_total counter",
        `portrait_http_fast_path_responses_total ${fastResponses}`,
        "# HELP portrait_http_response_seconds Time to respond.",
        "# TYPE portrait_http_response_seconds summary",
        `portrait_http_response_seconds_sum ${durationSum}`,
        `portrait_http_response_seconds_count ${durationCount}`,
        "# HELP portrait_image_jobs Image jobs being processed and waiting.",
        "# TYPE portrait_image_jobs gauge",
        `portrait_image_jobs{state="active"} ${images.active}`,
        `portrait_image_jobs{state="queued"} ${images.queued}`,
        "# HELP portrait_upload_bodies_in_flight Uploads and batches admitted (their bodies on the way or held) and not yet answered.",
        "# TYPE portrait_upload_bodies_in_flight gauge",
        `portrait_upload_bodies_in_flight ${sources.bodiesInFlight()}`,
        "# HELP portrait_photo_cache_answers_total Photo bytes answered from the byte cache (hit) or read from the store (miss).",
        "# TYPE portrait_photo_cache_answers_total counter",
        `portrait_photo_cache_answers_total{result="hit"} ${cache.hits}`,
        `portrait_photo_cache_answers_total{result="miss"} ${cache.misses}`,
        "# HELP portrait_photo_cache_bytes Bytes of photos held in the byte cache.",
        "# TYPE portrait_photo_cache_bytes gauge",
        `portrait_photo_cache_bytes ${cache.bytes}`,
        "# HELP portrait_photo_cache_limit_bytes The byte cache's bound (PHOTO_CACHE_MB; 0 when off).",
        "# TYPE portrait_photo_cache_limit_bytes gauge",
        `portrait_photo_cache_limit_bytes ${cache.maxBytes}`,
        "# HELP portrait_photo_cache_entries Photo sizes held in the byte cache.",
        "# TYPE portrait_photo_cache_entries gauge",
        `portrait_photo_cache_entries ${cache.entries}`,
        "# HELP portrait_process_resident_bytes Resident memory of the process.",
        "# TYPE portrait_process_resident_bytes gauge",
        `portrait_process_resident_bytes ${memory.rss}`,
        "# HELP portrait_process_uptime_seconds Seconds since the process started.",
        "# TYPE portrait_process_uptime_seconds gauge",
        `portrait_process_uptime_seconds ${process.uptime()}`,
      ];
      return `${lines.join("\n")}\n`;
    },
  };
}

/** Records every response Fastify sends. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onResponse", (request, reply, done) => {
    metrics.record(request.method, reply.statusCode, reply.elapsedTime);
    done();
  });
}
