/// <reference types="node" />
/**
 * @module Running the Worker locally: `.dev.vars`, the D1 migrations (with wrangler, so its
 * local commands see the same state) and the server of `npm start` as a child process.
 * Shared by the end-to-end tests and the benchmark harness, so both start the server the way
 * `npm start` does.
 *
 * Nothing here needs a Cloudflare account or the network: wrangler's telemetry, error
 * reports, update check (run by its banner) and skills prompts are switched off, miniflare's
 * download of the `Request.cf` object is disabled (it falls back to a placeholder), and
 * `--local` keeps every binding local.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PROJECT_ROOT } from "./project.ts";

export { ensureDevVars, parseDevVars, readDevVars, type DevVars } from "./dev-vars.ts";

/** The D1 database name in wrangler.toml. */
export const D1_DATABASE = "warden";
/**
 * The wrangler.toml environment every local server runs in. The top level is production-safe
 * (what a plain `wrangler deploy` ships); development values live in `[env.development]`.
 */
export const LOCAL_ENV = "development";
const WRANGLER_BIN = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const MIGRATIONS_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_BYTES = 16 * 1024;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  error?: Error;
}

export type OutputListener = (chunk: Buffer, stream: "stdout" | "stderr") => void;

/**
 * The environment wrangler runs with: the caller's, with everything that phones home off, and
 * wrangler's local trace collector off unless the caller asks for it (`X_LOCAL_OBSERVABILITY=true`):
 * it keeps a span for every SQL statement and RPC in memory. Turning it off raised one tenant
 * object's introspection rate from ~2,300 to ~3,300/s and more than halved workerd's memory
 * (npm run bench).
 */
export function wranglerEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    X_LOCAL_OBSERVABILITY: "false",
    ...process.env,
    ...extra,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    // The banner runs an npm registry update check; hiding it skips the check.
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
}

/** Keeps the last `limit` bytes of a process's output, for error messages. */
class OutputTail {
  #chunks: Buffer[] = [];
  #bytes = 0;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes > this.#limit && this.#chunks.length > 1) {
      this.#bytes -= this.#chunks.shift()!.length;
    }
  }
  text(): string {
    // ANSI colours make the tail unreadable in test reports.
    return Buffer.concat(this.#chunks).toString("utf8").slice(-this.#limit).replace(/\x1b\[[0-9;]*m/g, "");
  }
}

function capture(proc: ChildProcess, tail: OutputTail, onOutput?: OutputListener): void {
  proc.stdout?.on("data", (chunk: Buffer) => {
    tail.push(chunk);
    onOutput?.(chunk, "stdout");
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    tail.push(chunk);
    onOutput?.(chunk, "stderr");
  });
}

export interface ApplyMigrationsOptions {
  /** Local persistence directory, as given to `wrangler dev --persist-to`. */
  persistTo?: string;
  cwd?: string;
  onOutput?: OutputListener;
}

/**
 * `wrangler d1 migrations apply warden --local --env development`. The command has no "yes" flag: it asks for
 * confirmation only when stdin and stdout are a TTY and CI is unset, so it runs with stdin
 * closed, piped output and `CI=true`, and takes the default answer (yes).
 */
export async function applyLocalMigrations(options: ApplyMigrationsOptions = {}): Promise<string> {
  const args = [WRANGLER_BIN, "d1", "migrations", "apply", D1_DATABASE, "--local", "--env", LOCAL_ENV];
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  const proc = spawn(process.execPath, args, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: wranglerEnv({ CI: "true" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail = new OutputTail(OUTPUT_TAIL_BYTES);
  capture(proc, tail, options.onOutput);
  const timer = setTimeout(() => proc.kill("SIGKILL"), MIGRATIONS_TIMEOUT_MS);
  try {
    const { code, signal, error } = await exited(proc);
    if (code !== 0) {
      throw new Error(
        `wrangler d1 migrations apply failed (${error?.message ?? signal ?? `exit code ${code}`})\n${tail.text()}`,
      );
    }
    return tail.text();
  } finally {
    clearTimeout(timer);
  }
}

export interface StartServerOptions {
  port: number;
  /** Local persistence directory (Durable Objects, D1); default `.wrangler/state`. */
  persistTo?: string;
  /** Overrides for vars and secrets. */
  vars?: Record<string, string>;
  /**
   * The dotenv file to read secrets from, always given: the project's `.dev.vars` is then
   * neither read nor created, so a server started here (tests, the benchmark) never runs with
   * a developer's own secrets or settings. Tests pass an empty file and `vars`.
   */
  envFile: string;
  /** Extra environment for the server process. */
  env?: Record<string, string | undefined>;
  /** How long to wait for `GET /health` to answer 200; default 60 s. */
  readyTimeoutMs?: number;
  /** Every chunk of the server's output, as it arrives. */
  onOutput?: OutputListener;
  /** The tenant objects in a workerd process of their own (src/cli/local-server.ts). */
  split?: boolean;
}

export interface RunningServer {
  /** `http://127.0.0.1:{port}` */
  url: string;
  port: number;
  proc: ChildProcess;
  /** Resolves when the server exits, with its exit code or the signal that ended it. */
  exited: Promise<ProcessExit>;
  /** The last lines the server printed. */
  output(): string;
  /** Stops the server and its runtime; safe to call twice. */
  stop(): Promise<void>;
}

const START_SCRIPT = join(PROJECT_ROOT, "src", "cli", "start.ts");

/**
 * Starts the server exactly as `npm start` does (src/cli/start.ts, Miniflare without the
 * reload proxy), as a child that is not detached and stops when our end of its stdin closes,
 * so it never outlives this process; resolves once `GET /health` answers 200.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { port } = options;
  await assertPortFree(port);
  const args = [START_SCRIPT, "--port", String(port), "--exit-with-stdin", "--quiet"];
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  args.push("--env-file", options.envFile);
  if (options.split) args.push("--split");
  for (const [key, value] of Object.entries(options.vars ?? {})) args.push("--var", `${key}:${value}`);

  const proc = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: wranglerEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const tail = new OutputTail(OUTPUT_TAIL_BYTES);
  capture(proc, tail, options.onOutput);
  const exit = exited(proc);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      proc.kill("SIGTERM");
      const graceful = await Promise.race([exit.then(() => true), sleep(STOP_GRACE_MS, false)]);
      if (!graceful) {
        // The watcher started by start.ts takes the runtime along when we kill it outright.
        proc.kill("SIGKILL");
        await exit;
      }
    })());

  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  try {
    await waitForHealth(url, exit, timeoutMs);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- server output (last lines) ---\n${lastLines(tail.text(), 40)}`);
  }
  return { url, port, proc, exited: exit, output: () => tail.text(), stop };
}

async function waitForHealth(
  url: string,
  exit: Promise<ProcessExit>,
  timeoutMs: number,
): Promise<void> {
  let exitedWith: ProcessExit | undefined;
  void exit.then((result) => (exitedWith = result));
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exitedWith) {
      throw new Error(
        `the server exited before it was ready (${exitedWith.error?.message ?? exitedWith.signal ?? `exit code ${exitedWith.code}`})`,
      );
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
      last = `GET /health answered ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`the server did not answer GET ${url}/health with 200 within ${Math.round(timeoutMs / 1000)} s (${last})`);
}

function exited(proc: ChildProcess): Promise<ProcessExit> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      resolve({ code: proc.exitCode, signal: proc.signalCode });
      return;
    }
    proc.once("error", (error) => resolve({ code: null, signal: null, error }));
    proc.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

/** Fails fast (instead of after the health timeout) when something already listens there. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} is already in use on 127.0.0.1; stop what runs there or choose another port`)
          : error,
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for tests and benchmarks). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
