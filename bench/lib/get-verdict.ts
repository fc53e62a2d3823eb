/** The GET benchmark's verdict for one endpoint: its targets and its row of the summary. */
import type { LoadResult } from "./load.ts";
import { pairedRatio, printTargets, round, type Target, times } from "./report.ts";

/** The GET benchmark's servers, measured in this order in even rounds, in reverse in odd ones. */
export const ORDER = ["nginx", "bare", "fastify", "compare", "portrait"] as const;
export type ServerName = (typeof ORDER)[number];

/** Each server's runs, one per round, in round order. */
export type RunsByServer = ReadonlyMap<ServerName, readonly LoadResult[]>;

/**
 * Prints Portrait's targets for `endpoint` against the baselines measured in the same rounds
 * (ratios are medians of per-round ratios) and returns its summary row; undefined when
 * Portrait itself was not measured.
 */
export function reportGetTargets(
  endpoint: string,
  runs: RunsByServer,
  median: (server: ServerName) => LoadResult | undefined,
): string[] | undefined {
  const mine = median("portrait");
  if (!mine) return undefined;
  const [bare, ngx, before] = [median("bare"), median("nginx"), median("compare")];
  const against = (server: ServerName) =>
    pairedRatio(runs.get("portrait") ?? [], runs.get(server) ?? []);
  const [vsBare, vsNginx, vsBefore] = [against("bare"), against("nginx"), against("compare")];
  const targets: Target[] = [];
  if (bare)
    targets.push({ name: ">= 0.9x bare node:http", met: vsBare >= 0.9, detail: times(vsBare) });
  if (ngx) targets.push({ name: ">= 0.6x nginx", met: vsNginx >= 0.6, detail: times(vsNginx) });
  targets.push({ name: "p99 < 10 ms", met: mine.p99 < 10, detail: `${round(mine.p99, 2)} ms` });
  if (before) {
    const cpu = `${round(before.cpuMicrosPerRequest ?? 0)} -> ${round(mine.cpuMicrosPerRequest ?? 0)} µs CPU per request`;
    targets.push({
      name: "against --compare (information)",
      met: true,
      detail: `${times(vsBefore)} req/s, ${cpu}`,
    });
  }
  console.log("");
  printTargets(targets);
  return [
    endpoint,
    round(mine.requestsPerSecond),
    bare ? times(vsBare) : "n/a",
    ngx ? times(vsNginx) : "n/a",
    round(mine.p99, 2),
    round(mine.cpuMicrosPerRequest ?? 0),
    before ? times(vsBefore) : "n/a",
  ];
}
