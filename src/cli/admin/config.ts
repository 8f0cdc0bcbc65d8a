/// <reference types="node" />
/**
 * @module Where the admin CLI finds the server and the admin token:
 * `--url`/`--token`, else `WARDEN_URL`/`WARDEN_ADMIN_TOKEN`, else the `.dev.vars` that
 * `npm start` created and `http://localhost:8787` (or `PORT`).
 */
import { readDevVars } from "../dev-vars.ts";
import { PROJECT_ROOT, portFromEnv } from "../project.ts";
import { UsageError } from "./errors.ts";

export interface CliConfig {
  url: string;
  token: string;
}

export function resolveConfig(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
  projectRoot: string = PROJECT_ROOT,
): CliConfig {
  const url = flags.url || env.WARDEN_URL || `http://localhost:${port(env)}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid server URL ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`the server URL must be http or https, got ${JSON.stringify(url)}`);
  }
  const token = flags.token || env.WARDEN_ADMIN_TOKEN || readDevVars(projectRoot)?.ADMIN_TOKEN;
  if (!token) {
    throw new UsageError(
      "no admin token: pass --token, set WARDEN_ADMIN_TOKEN, or run `npm start` once to create .dev.vars",
    );
  }
  return { url: url.replace(/\/+$/, ""), token };
}

function port(env: NodeJS.ProcessEnv): number {
  try {
    return portFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
