/// <reference types="node" />
/**
 * @module What a command of the admin CLI is, how its arguments are parsed (`node:util`
 * parseArgs, strict) and how its help is written. Commands themselves live in `commands/`.
 */
import { parseArgs } from "node:util";
import type { CliConfig } from "./config.ts";
import { CliError, UsageError } from "./errors.ts";
import type { Http } from "./http.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder in help, e.g. "<n>". */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Input {
  args: string[];
  opts: OptionValues;
}

export interface Context {
  http: Http;
  config: CliConfig;
  /** `--json`: print the API's answer as it is. */
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** ["tenants", "create"], or ["import"] for a command without subcommands. */
  path: string[];
  /** Positionals and options as shown in usage lines. */
  usage: string;
  summary: string;
  /** Longer help: what API call it makes, what it prints. */
  details?: string;
  options?: Record<string, OptionSpec>;
  /** Minimum and maximum number of positionals. */
  positionals: [number, number];
  /** Sets `process.exitCode` itself when the answer means failure (e.g. a broken audit chain). */
  run(ctx: Context, input: Input): Promise<void>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: "string", value: "<url>", description: "server (default $WARDEN_URL, else http://localhost:$PORT or 8787)" },
  token: { type: "string", value: "<token>", description: "admin token (default $WARDEN_ADMIN_TOKEN, else ADMIN_TOKEN in .dev.vars)" },
  json: { type: "boolean", description: "print the API's JSON answer instead of a table" },
  help: { type: "boolean", short: "h", description: "show help" },
};

export function commandName(command: Command): string {
  return command.path.join(" ");
}

/** Strict parse of what follows the command words. */
export function parseInput(command: Command, argv: string[]): Input {
  const specs = { ...GLOBAL_OPTIONS, ...command.options };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, commandName(command));
  }
  const opts = parsed.values as OptionValues;
  if (opts.help) return { args: parsed.positionals, opts };
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min) {
    throw new UsageError(`missing arguments: expected ${command.usage}`, commandName(command));
  }
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`, commandName(command));
  }
  return { args: parsed.positionals, opts };
}

function optionLines(specs: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(specs).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`,
    spec.description + (spec.multiple ? " (repeatable)" : ""),
  ]);
  const pad = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(pad)}  ${right}`);
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: npx warden ${commandName(command)} ${command.usage}`.trimEnd(), "", command.summary];
  if (command.details) lines.push("", command.details);
  if (command.options && Object.keys(command.options).length > 0) {
    lines.push("", "Options:", ...optionLines(command.options));
  }
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  return lines.join("\n");
}

export function listHelp(title: string, commands: readonly Command[]): string {
  const rows = commands.map((command) => [`${commandName(command)} ${command.usage}`.trimEnd(), command.summary]);
  const pad = Math.min(60, Math.max(...rows.map(([left]) => left.length)));
  return [
    title,
    ...rows.map(([left, right]) => (left.length > pad ? `  ${left}\n  ${"".padEnd(pad)}  ${right}` : `  ${left.padEnd(pad)}  ${right}`)),
  ].join("\n");
}

export function intOption(opts: OptionValues, name: string, min: number, max: number): number | undefined {
  const raw = opts[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function stringOption(opts: OptionValues, name: string): string | undefined {
  const raw = opts[name];
  return typeof raw === "string" ? raw : undefined;
}

/** A JSON object from the command line, e.g. `--settings '{"password":{"min_length":14}}'`. */
export function jsonObjectArg(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Repeatable and comma-separated: `--scope a --scope b,c` → [a, b, c]. */
export function listOption(opts: OptionValues, name: string): string[] {
  const raw = opts[name];
  const values = Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : [];
  return values.flatMap((value) => value.split(",")).map((value) => value.trim()).filter(Boolean);
}

/** Prints the raw answer for `--json`, else the human rendering. */
export function emit(ctx: Context, raw: unknown, human: () => string): void {
  ctx.out(ctx.json ? JSON.stringify(raw, null, 2) : human());
}

/**
 * A 2xx answer without the documented fields means a server of another version: say so
 * instead of failing later with a TypeError.
 */
export function expectFields<T>(value: T, fields: readonly string[], what: string): T {
  const object = value as Record<string, unknown> | undefined;
  const missing = fields.filter((field) => object === null || typeof object !== "object" || !(field in object));
  if (missing.length > 0) {
    throw new CliError(`unexpected answer to ${what}: no ${missing.join(", ")} in ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return value;
}
