/// <reference types="node" />
/** @module Where the project lives, so the CLI behaves the same from any working directory. */
import { fileURLToPath } from "node:url";

/** The repository root: the directory holding package.json and wrangler.toml. */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url).href);

/** The default local port of `wrangler dev` and `npm start`. */
export const DEFAULT_PORT = 8787;

/** `PORT` from the environment, else 8787; anything that is not a port is a usage error. */
export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PORT;
  if (raw === undefined || raw === "") return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`PORT must be an integer between 1 and 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

