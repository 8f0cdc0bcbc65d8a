/// <reference types="node" />
/**
 * @module One real the server of `npm start` per test file, started the way `npm start` starts it
 * (src/cli/dev-server.ts) but isolated: a free port, a temporary `--persist-to` directory
 * with the D1 migrations applied, random secrets passed with `--var`, and an empty env file
 * instead of the developer's `.dev.vars`, which stays untouched.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { applyLocalMigrations, findFreePort, startServer, type RunningServer } from "../../src/cli/dev-server.ts";
import { contractFor, watchFetch } from "./contract.ts";

export interface TestServer {
  /** `http://127.0.0.1:{port}` */
  url: string;
  adminToken: string;
  masterKey: string;
  /** wrangler's recent output, for assertion messages. */
  output(): string;
}

const START_TIMEOUT_MS = 180_000;

/**
 * Registers `before`/`after` hooks; the returned object is filled in once the server is up.
 * `vars` adds vars, read when the server starts; it may be async, so that it can wait for
 * something another hook sets up, such as a test page's origin for ALLOWED_ORIGINS (node:test
 * runs a file's top-level `before` hooks side by side, not one after the other).
 */
export function useServer(o: { vars?: () => Record<string, string> | Promise<Record<string, string>> } = {}): TestServer {
  let dir: string | undefined;
  let running: RunningServer | undefined;
  let unwatch: (() => void) | undefined;
  let checkContract = () => {};
  const server: TestServer = {
    url: "",
    adminToken: randomBytes(32).toString("hex"), // never starts with "-", which `--token X` would take for a flag
    masterKey: randomBytes(32).toString("base64"),
    output: () => running?.output() ?? "",
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "warden-e2e-"));
    const persistTo = join(dir, "state");
    const envFile = join(dir, "empty.env");
    await writeFile(envFile, "");
    await applyLocalMigrations({ persistTo });
    const port = await findFreePort();
    running = await startServer({
      port,
      persistTo,
      envFile,
      vars: { ...(await o.vars?.()), ADMIN_TOKEN: server.adminToken, MASTER_KEY: server.masterKey, PUBLIC_URL: `http://127.0.0.1:${port}` },
    });
    server.url = running.url;
    // Every answer this file's tests get is checked against the OpenAPI document.
    const contract = contractFor(new URL(running.url).origin);
    unwatch = watchFetch(new URL(running.url).origin, contract);
    // Reported at the very end, as the file's exit status: a throwing `after` hook would skip
    // the file's own clean-up hooks and leave it hanging.
    checkContract = () => {
      if (!contract.violations.length) return;
      process.stderr.write(`answers that do not match the OpenAPI document:\n${contract.violations.join("\n")}\n`);
      process.exitCode = 1;
    };
  }, { timeout: START_TIMEOUT_MS });

  after(async () => {
    unwatch?.();
    await running?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    checkContract();
  });

  return server;
}
