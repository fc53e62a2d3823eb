/**
 * The `portrait` command: `serve`, `token` (development tokens) and `seed` (directory from JSON).
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { configOrExit, runServer, SERVE_HELP } from "./main.ts";

const HELP = `Usage: portrait <command> [options]

Commands:
  serve              start the service (same as npm start)
  token [options]    print an access token signed by the development issuer
  seed <file.json>   create users, groups and contacts from a JSON file

Run 'portrait <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = rest.includes("--help") || rest.includes("-h");
  switch (command) {
    case undefined:
    case "--help":
    case "-h":
    case "help":
      console.log(HELP);
      return command === undefined ? 1 : 0;
    case "serve":
      if (wantsHelp) return print(SERVE_HELP);
      await runServer(configOrExit());
      return -1;
    // Each command's modules are loaded when it runs: `serve` with WORKERS above 1 stays a small
    // supervising process, without the store and token code the other commands need.
    case "token": {
      const { mintToken, TOKEN_HELP } = await import("./cli/token.ts");
      if (wantsHelp) return print(TOKEN_HELP);
      console.log(await mintToken(configOrExit(), parse(rest, TOKEN_OPTIONS).values));
      return 0;
    }
    case "seed": {
      const { SEED_HELP, seedDirectory } = await import("./cli/seed.ts");
      if (wantsHelp) return print(SEED_HELP);
      const { values, positionals } = parse(rest, SEED_OPTIONS);
      return seedDirectory(configOrExit(), positionals, values);
    }
    default:
      console.error(`Unknown command '${command}'.\n\n${HELP}`);
      return 2;
  }
}

const TOKEN_OPTIONS = {
  user: { type: "string" },
  app: { type: "boolean" },
  scopes: { type: "string" },
  roles: { type: "string" },
  admin: { type: "boolean" },
  tenant: { type: "string" },
  lifetime: { type: "string" },
} as const;

const SEED_OPTIONS = { tenant: { type: "string" } } as const;

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}

function print(text: string): number {
  console.log(text);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(`portrait: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
