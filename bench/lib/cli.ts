/** Command-line flags of the benchmark scripts: `--name value`, `--flag`, and `--help`. */
import { parseArgs } from "node:util";

export interface FlagSpec {
  type: "string" | "boolean";
  default?: string | boolean;
  help: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/** The flags of every benchmark that starts Portrait: which checkout, whether to build, env. */
export const PORTRAIT_FLAGS: Record<string, FlagSpec> = {
  "no-build": { type: "boolean", default: false, help: "do not run npm run build first" },
  "portrait-dir": { type: "string", default: "", help: "run Portrait from another checkout" },
  env: { type: "string", default: "", help: "extra Portrait environment, NAME=value,..." },
};

/** The load settings of the GET benchmarks. */
export const LOAD_FLAGS: Record<string, FlagSpec> = {
  generator: {
    type: "string",
    default: "autocannon",
    help: "load generator: autocannon, or wrk (less CPU per request, apt-get install wrk)",
  },
  connections: { type: "string", default: "50", help: "concurrent connections" },
  duration: { type: "string", default: "10", help: "measured seconds per run" },
  warmup: { type: "string", default: "3", help: "warm-up seconds before each run" },
};

/** Parses `process.argv`; prints the usage and exits on `--help` or on an unknown flag. */
export function readFlags(usage: string, specs: Record<string, FlagSpec>): FlagValues {
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean }> = {
    help: { type: "boolean", default: false },
  };
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = {
      type: spec.type,
      ...(spec.default !== undefined && { default: spec.default }),
    };
  }
  const print = () => {
    const lines = Object.entries(specs).map(([name, spec]) => {
      const flag = spec.type === "boolean" ? `--${name}` : `--${name} <value>`;
      const fallback = spec.default === undefined ? "" : ` (default: ${String(spec.default)})`;
      return `  ${flag.padEnd(26)} ${spec.help}${fallback}`;
    });
    console.log(`${usage}\n\nOptions:\n${lines.join("\n")}\n  ${"--help".padEnd(26)} this text`);
  };
  let values: FlagValues;
  try {
    values = parseArgs({ options, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    print();
    process.exit(2);
  }
  if (values.help) {
    print();
    process.exit(0);
  }
  return values;
}

/** A whole number flag; exits with a message when it is not one. */
export function intFlag(values: FlagValues, name: string, min = 0): number {
  const raw = values[name];
  const value = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(value) || value < min) {
    console.error(`--${name} must be a whole number >= ${min} (got ${String(raw)})`);
    process.exit(2);
  }
  return value;
}

export function stringFlag(values: FlagValues, name: string): string {
  const raw = values[name];
  if (typeof raw !== "string") {
    console.error(`--${name} is required`);
    process.exit(2);
  }
  return raw;
}

export function listFlag(values: FlagValues, name: string): string[] {
  return stringFlag(values, name)
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** `NAME=value,NAME=value` as an environment object. */
export function envFlag(values: FlagValues, name: string): Record<string, string> {
  return Object.fromEntries(
    listFlag(values, name).map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) {
        console.error(`--${name} expects NAME=value pairs separated by commas (got ${pair})`);
        process.exit(2);
      }
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
