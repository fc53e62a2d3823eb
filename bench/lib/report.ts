/** Printing figures, ratios against baselines, and whether each target is met. */
import type { LoadResult } from "./load.ts";

export function round(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function ratio(value: number, baseline: number): string {
  return baseline > 0 ? times(value / baseline) : "n/a";
}

/**
 * The median over rounds of `mine`'s requests per second divided by `baseline`'s in the same
 * round (both lists in round order). Servers measured back to back share the machine's speed
 * of the moment, which can change twofold within a minute here; a ratio of medians taken at
 * different moments moves with it.
 */
export function pairedRatio(mine: readonly LoadResult[], baseline: readonly LoadResult[]): number {
  return median(
    mine.flatMap((run, i) => {
      const other = baseline[i]?.requestsPerSecond ?? 0;
      return other > 0 ? [run.requestsPerSecond / other] : [];
    }),
  );
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** A ratio as printed: `0.64x`. */
export function times(value: number): string {
  return value > 0 ? `${round(value, 2)}x` : "n/a";
}

/** The median of the runs by requests per second (the run itself, so its latencies match). */
export function medianRun(runs: readonly LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error("no runs");
  return median;
}

export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(line(headers));
  console.log(`|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

export function loadRow(name: string, result: LoadResult): string[] {
  return [
    name,
    round(result.requestsPerSecond),
    round(result.p50, 2),
    round(result.p99, 2),
    round(result.bytesPerSecond / 2 ** 20, 1),
    result.cpuMicrosPerRequest === undefined ? "n/a" : round(result.cpuMicrosPerRequest),
    String(result.non2xx + result.errors + result.timeouts),
  ];
}

export const LOAD_HEADERS = [
  "server",
  "req/s",
  "p50 ms",
  "p99 ms",
  "MiB/s",
  "server CPU µs/req",
  "failed",
];

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export function printTargets(targets: readonly Target[]): void {
  for (const target of targets) {
    console.log(`  [${target.met ? "met" : "NOT met"}] ${target.name}: ${target.detail}`);
  }
}
