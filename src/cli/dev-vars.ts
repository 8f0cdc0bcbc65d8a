/// <reference types="node" />
/**
 * @module The local `.dev.vars` file that `wrangler dev` reads its secrets from. `npm start`
 * creates it once with random `ADMIN_TOKEN` and `MASTER_KEY` and never rewrites it, so a
 * developer's edits (or their own secrets) survive restarts.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type DevVars = Record<string, string>;

export interface EnsuredDevVars {
  path: string;
  /** True when this call wrote the file. */
  created: boolean;
  vars: DevVars;
}

/** 32 random bytes each: the admin token as hex, the master key as base64. */
export function generateDevVars(): DevVars {
  return {
    // hex, so the token never starts with "-" (a flag to argument parsers when passed as `--token X`)
    ADMIN_TOKEN: randomBytes(32).toString("hex"),
    MASTER_KEY: randomBytes(32).toString("base64"),
  };
}

/**
 * Parses the dotenv format wrangler accepts: `KEY=VALUE` lines, `#` comments, optional
 * `export `, values optionally in single or double quotes (double quotes understand `\n`).
 */
export function parseDevVars(text: string): DevVars {
  const vars: DevVars = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, key, rest] = match;
    vars[key] = unquote(rest);
  }
  return vars;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'" || quote === "`") && value.length >= 2) {
    const end = value.lastIndexOf(quote);
    if (end > 0) {
      const inner = value.slice(1, end);
      return quote === '"' ? inner.replace(/\\n/g, "\n") : inner;
    }
  }
  // An unquoted value ends at an inline comment.
  const hash = value.search(/\s#/);
  return (hash === -1 ? value : value.slice(0, hash)).trim();
}

/** The parsed env file at `path` (the dotenv format above), or undefined when there is none. */
export function readEnvFile(path: string): DevVars | undefined {
  try {
    return parseDevVars(readFileSync(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The parsed `.dev.vars` in `dir`, or undefined when there is none. */
export function readDevVars(dir: string): DevVars | undefined {
  return readEnvFile(join(dir, ".dev.vars"));
}

/**
 * Creates `dir/.dev.vars` (mode 0600) with fresh secrets if it is missing; an existing file
 * is read and used as it is, even if it lacks a key.
 */
export function ensureDevVars(dir: string): EnsuredDevVars {
  const path = join(dir, ".dev.vars");
  const existing = readDevVars(dir);
  if (existing) return { path, created: false, vars: existing };
  const vars = generateDevVars();
  const text =
    "# Local secrets for `wrangler dev`, created by `npm start`. Never commit this file.\n" +
    Object.entries(vars).map(([key, value]) => `${key}=${value}\n`).join("");
  try {
    // "wx": if another process created the file in the meantime, use theirs.
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      return { path, created: false, vars: readDevVars(dir) ?? {} };
    }
    throw error;
  }
  return { path, created: true, vars };
}
