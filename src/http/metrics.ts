/** Request and image-queue metrics in the Prometheus text format. */
import type { FastifyInstance } from "fastify";

export interface Metrics {
  render(): string;
}

export function registerMetrics(
  app: FastifyInstance,
  imageStats: () => { active: number; queued: number },
): Metrics {
  /** Counts by method, then status: no label string is built per response. */
  const responses = new Map<string, Map<number, number>>();
  let durationSum = 0;
  let durationCount = 0;

  app.addHook("onResponse", (request, reply, done) => {
    let byStatus = responses.get(request.method);
    if (!byStatus) {
      byStatus = new Map();
      responses.set(request.method, byStatus);
    }
    byStatus.set(reply.statusCode, (byStatus.get(reply.statusCode) ?? 0) + 1);
    durationSum += reply.elapsedTime / 1000;
    durationCount += 1;
    done();
  });

  return {
    render() {
      const memory = process.memoryUsage();
      const images = imageStats();
      const lines = [
        "# HELP portrait_http_responses_total HTTP responses by method and status.",
        "# TYPE portrait_http_responses_total counter",
        ...[...responses].flatMap(([method, byStatus]) =>
          [...byStatus].map(
            ([status, count]) =>
              `portrait_http_responses_total{method="${method}",status="${status}"} ${count}`,
          ),
        ),
        "# HELP portrait_http_response_seconds Time to respond.",
        "# TYPE portrait_http_response_seconds summary",
        `portrait_http_response_seconds_sum ${durationSum}`,
        `portrait_http_response_seconds_count ${durationCount}`,
        "# HELP portrait_image_jobs Image jobs being processed and waiting.",
        "# TYPE portrait_image_jobs gauge",
        `portrait_image_jobs{state="active"} ${images.active}`,
        `portrait_image_jobs{state="queued"} ${images.queued}`,
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
