/** What a benchmark ran on, printed at the top of every report. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem, type } from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  date: string;
  /** 1-minute load average when the run started: a busy machine gives noisy figures. */
  load: number;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${osName()} (${type()} ${release()})`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    load: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? type();
  } catch {
    return type();
  }
}

/** Prints the title, the machine and the settings, one `name: value` per line. */
export function printHeader(title: string, settings: Record<string, unknown>): MachineInfo {
  const machine = machineInfo();
  console.log(`# ${title}\n`);
  console.log("Machine");
  console.log(`  cpu:     ${machine.cpu}, ${machine.cores} cores`);
  console.log(`  memory:  ${machine.memoryGiB} GiB`);
  console.log(`  os:      ${machine.os}`);
  console.log(`  node:    ${machine.node}`);
  console.log(`  date:    ${machine.date}`);
  console.log(`  load:    ${machine.load} (1-minute average at start)`);
  if (machine.load > machine.cores * 0.5) {
    console.log("  warning: the machine is busy; figures will be noisy. Rerun on a quiet machine.");
  }
  console.log("Settings");
  for (const [name, value] of Object.entries(settings)) {
    console.log(`  ${`${name}:`.padEnd(22)} ${String(value)}`);
  }
  console.log("");
  return machine;
}
