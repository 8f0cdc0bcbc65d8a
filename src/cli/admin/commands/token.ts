/// <reference types="node" />
/**
 * @module `token`: the admin token of the local server, found again without scrolling back to
 * `npm start`'s banner. The running server's record (`.wrangler/run/{port}.json`) names the env
 * file its secrets came from; with no server on the port, it is the token `npm start` uses:
 * ADMIN_TOKEN in `.dev.vars`. Needs no server and no token itself.
 */
import { readDevVars, readEnvFile } from "../../dev-vars.ts";
import { PROJECT_ROOT, portFromEnv } from "../../project.ts";
import { liveRun } from "../../reaper.ts";
import { emit, intOption, type Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";

export interface LocalToken {
  token: string;
  /** The file it was read from. */
  source: string;
  port: number;
  /** A server runs on the port (and took its secrets from `source`). */
  running: boolean;
}

export function localAdminToken(port: number, root: string = PROJECT_ROOT): LocalToken {
  const run = liveRun(port, root);
  if (run?.admin_token_from === "var") {
    throw new CliError(`the server on port ${port} was given its ADMIN_TOKEN with --var; it is not written anywhere`);
  }
  if (run?.admin_token_from) {
    const source = run.admin_token_from.file;
    const token = readEnvFile(source)?.ADMIN_TOKEN;
    if (!token) throw new CliError(`the server on port ${port} read its secrets from ${source}, which has no ADMIN_TOKEN now`);
    return { token, source, port, running: true };
  }
  const source = `${root.replace(/\/+$/, "")}/.dev.vars`;
  const token = readDevVars(root)?.ADMIN_TOKEN;
  if (!token) throw new CliError(`no admin token: ${source} has none; \`npm start\` creates it with one`);
  return { token, source, port, running: run !== undefined };
}

export const tokenCommands: Command[] = [
  {
    path: ["token"],
    usage: "[--port <n>]",
    summary: "Print the local server's admin token (npm start), for TOKEN=$(npx warden token).",
    details:
      "Reads no API: the token of the server running on the port (from the env file its run record in\n" +
      ".wrangler/run/{port}.json names), else ADMIN_TOKEN in .dev.vars, the one npm start uses. --json adds\n" +
      "where it was found: {admin_token, source, port, running}.",
    options: { port: { type: "string", value: "<n>", description: "the server's port (default $PORT or 8787)" } },
    positionals: [0, 0],
    async run(ctx, { opts }) {
      let port: number;
      try {
        port = intOption(opts, "port", 1, 65535) ?? portFromEnv();
      } catch (error) {
        throw error instanceof CliError ? error : new UsageError((error as Error).message, "token");
      }
      const found = localAdminToken(port);
      if (!found.running && !ctx.json) ctx.err(`No server is running on port ${port}; this is the token npm start uses (${found.source}).`);
      emit(ctx, { admin_token: found.token, source: found.source, port, running: found.running }, () => found.token);
    },
  },
];
