/// <reference types="node" />
/**
 * @module `npx warden <command>` (src/cli/warden.js): the admin CLI over the HTTP admin API
 * (`/v1/admin`). Tables for people, `--json` for scripts: stdout then carries only the API's
 * JSON, and every message and error goes to stderr, with a non-zero exit: 2 for bad usage, 1
 * for everything else.
 */
import { pathToFileURL } from "node:url";
import { GLOBAL_OPTIONS, commandHelp, listHelp, parseInput, stringOption, type Command, type Context } from "./admin/command.ts";
import { resolveConfig, type CliConfig } from "./admin/config.ts";
import { ApiError, CliError, UsageError } from "./admin/errors.ts";
import { createHttp, type Http } from "./admin/http.ts";
import { COMMANDS, commandsOf } from "./admin/registry.ts";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** Global options that take a value, so that their value is not read as a command word. */
const VALUE_OPTIONS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, spec]) => spec.type === "string")
    .map(([name]) => `--${name}`),
);

function topHelp(): string {
  return [
    "Warden admin CLI: the admin API (/v1/admin) from the command line.",
    "",
    "Usage: npx warden <command> [arguments] [options]",
    "",
    listHelp("Commands:", COMMANDS),
    "",
    "Global options:",
    "  --url <url>      server (default $WARDEN_URL, else http://localhost:$PORT or 8787)",
    "  --token <token>  admin token (default $WARDEN_ADMIN_TOKEN, else ADMIN_TOKEN in .dev.vars)",
    "  --json           print the API's JSON answer instead of a table",
    "  -h, --help       help for any command, e.g. `npx warden tenants create --help`",
    "",
    "A <user> is a user id, email:<address> or username:<name>.",
    "Exit codes: 0 success, 1 error (API, network, failed check), 2 bad usage.",
  ].join("\n");
}

/** The command named by the first one or two words, and argv without those words. */
function findCommand(argv: string[]): { command?: Command; rest: string[]; help?: string } {
  const words: number[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i += 1) {
    const token = argv[i];
    if (token === "--") break;
    if (VALUE_OPTIONS.has(token)) i += 1;
    else if (!token.startsWith("-")) words.push(i);
  }
  const wantsHelp = argv.includes("--help") || argv.includes("-h");
  if (words.length === 0) {
    if (wantsHelp) return { rest: [], help: topHelp() };
    throw new UsageError("no command given");
  }
  const group = argv[words[0]];
  const inGroup = commandsOf(group);
  if (inGroup.length === 0) throw new UsageError(`unknown command ${JSON.stringify(group)}`);
  const without = (...indexes: number[]) => argv.filter((_, i) => !indexes.includes(i));
  if (inGroup.length === 1 && inGroup[0].path.length === 1) return { command: inGroup[0], rest: without(words[0]) };
  if (words.length < 2) {
    if (wantsHelp) return { rest: [], help: listHelp(`Usage: npx warden ${group} <subcommand>\n\nSubcommands:`, inGroup) };
    throw new UsageError(`${group}: missing subcommand (${inGroup.map((c) => c.path[1]).join(", ")})`, group);
  }
  const sub = argv[words[1]];
  const command = inGroup.find((c) => c.path[1] === sub);
  if (!command) {
    throw new UsageError(`unknown command ${JSON.stringify(`${group} ${sub}`)} (${group}: ${inGroup.map((c) => c.path[1]).join(", ")})`, group);
  }
  return { command, rest: without(words[0], words[1]) };
}

export async function runCli(argv: string[], io: Io = stdio): Promise<number> {
  try {
    const found = findCommand(argv);
    if (found.help !== undefined || !found.command) {
      io.out(found.help ?? topHelp());
      return 0;
    }
    const { command } = found;
    const input = parseInput(command, found.rest);
    if (input.opts.help) {
      io.out(commandHelp(command));
      return 0;
    }
    // Resolved when a command first calls the API, so that `token` needs no token.
    const flags = { url: stringOption(input.opts, "url"), token: stringOption(input.opts, "token") };
    let config: CliConfig | undefined;
    let http: Http | undefined;
    const ctx: Context = {
      get config() {
        return (config ??= resolveConfig(flags));
      },
      get http() {
        return (http ??= createHttp(this.config));
      },
      json: input.opts.json === true,
      out: io.out,
      err: io.err,
    };
    await command.run(ctx, input);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}`);
    io.err(`Run \`npx warden ${error.command ? `${error.command} ` : ""}--help\` for usage.`);
    return 2;
  }
  if (error instanceof CliError) {
    io.err(`error: ${error.message}`);
    if (error instanceof ApiError && error.details) {
      for (const detail of error.details) io.err(`  - ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    }
    return error.exitCode;
  }
  // A bug in the CLI: the message is enough unless WARDEN_DEBUG asks for the stack.
  const err = error as Error;
  io.err(`error: ${process.env.WARDEN_DEBUG ? (err?.stack ?? String(error)) : (err?.message ?? String(error))}`);
  return 1;
}

/** The process entry point (src/cli/warden.js): runs the command line, sets the exit code. */
export async function main(argv: string[]): Promise<void> {
  // `warden export | head` closes the pipe early; that is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  process.exitCode = await runCli(argv);
}

// `node src/cli/admin.ts …` works too; imported (tests, src/cli/warden.js), it runs nothing.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
