/// <reference types="node" />
/**
 * @module The embedded default without wrangler's reload proxy: `npm start`, the end-to-end
 * tests and the benchmark run the Worker in Miniflare directly, in this process.
 *
 * `wrangler dev` starts two workerd runtimes: a proxy Worker that holds connections across
 * reloads and buffers requests, and the user Worker behind it, and relays every log line from
 * workerd through its own console. Measured on the 2-core development machine (`npm run
 * bench`, test/bench/README.md), that hop and the relay cost more than half of the
 * throughput of `GET /health` and a third of `POST /introspect`. Here the Worker is bundled
 * the way `wrangler deploy` bundles it (`--dry-run --outdir`), its bindings come from
 * wrangler.toml through wrangler's own `unstable_getMiniflareWorkerOptions`, and its state is
 * persisted under the same directory as `wrangler dev` (`.wrangler/state/v3`), so
 * `wrangler d1 execute --local` and the other local wrangler commands see the same data.
 * Live reload stays available with `npm run dev` (plain `wrangler dev`).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { CronSchedule } from "./cron-schedule.ts";
import { findFreePort } from "./dev-server.ts";
import { readEnvFile } from "./dev-vars.ts";
import { PROJECT_ROOT } from "./project.ts";

const WRANGLER_BIN = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export interface LocalServerOptions {
  port: number;
  /** Like `wrangler dev --persist-to`; default `.wrangler/state`. */
  persistTo?: string;
  /** A dotenv file with the secrets; default `.dev.vars` at the project root. */
  envFile?: string;
  /** The wrangler.toml environment to run (`[env.NAME]`); the top level when undefined. */
  env?: string;
  /** Overrides for vars and secrets, applied last. */
  vars?: Record<string, string>;
  /** Where workerd's own stdout/stderr go (the Worker's log lines); default this process's. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Run the wrangler.toml cron triggers on their schedule (default true). */
  crons?: boolean;
  /**
   * Run the tenant objects in a workerd process of their own, bound to the router's across
   * processes through Miniflare's dev registry, as Cloudflare runs them apart from the router's
   * isolates. One workerd runs every isolate on one thread, so there an argon2id hash in the
   * router stalls every object; split, it does not. Used by `npm run bench`'s login storm.
   * The objects' state then lives under `do/warden-objects-TenantObject`, apart from
   * `npm start`'s.
   */
  split?: boolean;
}

export interface LocalServer {
  url: string;
  port: number;
  /** The pids of the workerd processes Miniflare started (Linux; empty elsewhere). */
  runtimePids(): number[];
  stop(): Promise<void>;
}

/** Bundles src/index.ts exactly as `wrangler deploy` would, into `outdir`; returns the entry. */
export async function bundleWorker(outdir: string, env?: string): Promise<string> {
  const args = [WRANGLER_BIN, "deploy", "--dry-run", "--outdir", outdir];
  if (env) args.push("--env", env);
  const proc = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", WRANGLER_HIDE_BANNER: "true", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (c: Buffer) => (output += c));
  proc.stderr.on("data", (c: Buffer) => (output += c));
  const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
  if (code !== 0) throw new Error(`bundling the Worker failed (wrangler deploy --dry-run exited ${code})\n${output.slice(-4000)}`);
  return join(outdir, "index.js");
}

/**
 * Worker options from wrangler.toml. wrangler folds the secrets of `.dev.vars` into the
 * bindings; they are replaced by the config's plain vars, so that the secrets come only from
 * the env file the caller names (the tests' servers never read a developer's `.dev.vars`).
 * Options that describe how wrangler would load source files do not apply to a bundle.
 */
function workerOptionsFromConfig(env: string | undefined) {
  const configPath = join(PROJECT_ROOT, "wrangler.toml");
  const quiet = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "error";
  try {
    const config = unstable_readConfig({ config: configPath, env });
    const { workerOptions } = unstable_getMiniflareWorkerOptions(config, env);
    const o = workerOptions as Record<string, unknown>;
    for (const k of ["modulesRules", "rootPath"]) delete o[k];
    o.bindings = { ...(config.vars as Record<string, string>) };
    return workerOptions;
  } finally {
    if (quiet === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = quiet;
  }
}

/** The cron expressions of wrangler.toml for that environment. */
export function cronTriggers(env?: string): string[] {
  return (workerOptionsFromConfig(env).cronTriggers as string[] | undefined) ?? [];
}

interface RateLimitConfig {
  simple: { limit: number; period: number };
}

/**
 * The rate-limiting bindings, locally. Miniflare implements each `limit()` call as a Durable
 * Object call that writes SQLite on disk, so locally the per-IP shield cost about half of an
 * introspection (measured: test/bench/README.md). The production binding is an in-memory
 * counter of the Cloudflare location (eventually consistent by design), consulted without
 * leaving the machine. Here each binding is an object in the Worker's own isolate with that
 * behaviour: a fixed window per key of the configured `period`, at most `limit` calls in it.
 * It is put in by a small entry module wrapped around the bundle (the Worker's code is the one
 * `wrangler deploy` ships; only what stands behind `env.IP_LIMITER` differs): the `env` the
 * bundle sees is the runtime's, with the limiter bindings on top. An earlier stand-in was a
 * service binding to a second Worker; every call then crossed isolates, ~5 % of an
 * introspection's time in the profile (test/bench/profile.ts).
 */
export function localEntry(ratelimits: Record<string, RateLimitConfig>, bundle = "./index.js"): string {
  const limiters = Object.entries(ratelimits)
    .map(([name, c]) => `  ${JSON.stringify(name)}: { value: limiter(${JSON.stringify(name)}, ${Number(c.simple.limit)}, ${Number(c.simple.period)}) },`)
    .join("\n");
  return `import worker from ${JSON.stringify(bundle)};
export * from ${JSON.stringify(bundle)};
const windows = new Map();
function limiter(binding, limit, period) {
  return {
    async limit({ key }) {
      const now = Math.floor(Date.now() / 1000 / period);
      const id = binding + "\\0" + String(key);
      let w = windows.get(id);
      if (!w || w.window !== now) {
        if (windows.size > 100000) windows.clear();
        w = { window: now, n: 0 };
        windows.set(id, w);
      }
      w.n += 1;
      return { success: w.n <= limit };
    },
  };
}
const bindings = {
${limiters}
};
const envs = new WeakMap();
function withLimiters(env) {
  let e = envs.get(env);
  if (!e) envs.set(env, (e = Object.create(env, bindings)));
  return e;
}
// Served on a loopback socket with nothing in front (see startLocalServer), a request has no
// CF-Connecting-IP unless its client sent one: name the one address it can come from, as
// Miniflare's entry Worker did. A header the client set is kept, as before (tests set it).
const LOOPBACK = "127.0.0.1";
function withClientIp(request) {
  if (request.headers.has("cf-connecting-ip")) return request;
  const headers = new Headers(request.headers);
  headers.set("cf-connecting-ip", LOOPBACK);
  return new Request(request, { headers });
}
const handlers = {};
for (const [k, f] of Object.entries(worker)) {
  if (typeof f !== "function") handlers[k] = f;
  else if (k === "fetch") handlers[k] = (request, env, ctx) => f.call(worker, withClientIp(request), withLimiters(env), ctx);
  else handlers[k] = (event, env, ctx) => f.call(worker, event, withLimiters(env), ctx);
}
export default handlers;
`;
}

/**
 * V8 flags for the local workerd: a young generation fixed at 16 MiB a semi-space, instead of
 * V8's default, which starts at 1 MiB and grows. workerd runs V8 without incremental or
 * concurrent marking, so a full collection is one pause of the whole isolate, and locally that
 * isolate holds the router and every tenant object. A broadcast to 1,000 subscribers leaves
 * ~550 bytes of short-lived runtime garbage per delivery; with the small young generation much
 * of it outlived a scavenge, was promoted, and filled the old generation until a full pause of
 * 35-75 ms landed inside a broadcast. With 16 MiB it dies young (test/bench/README.md has the
 * alternating runs: fan-out p99 median 90 -> 59 ms, refresh and introspection p99 lower,
 * throughput unchanged, fan-out p50 1-4 ms higher). A local runtime setting, like the socket: Cloudflare sizes its own
 * isolates' heaps. `MINIFLARE_WORKERD_V8_FLAGS`, when set (even empty), is used instead.
 */
export const LOCAL_V8_FLAGS = "--min-semi-space-size=16 --max-semi-space-size=16";

/** The V8 flags Miniflare hands workerd: the operator's `MINIFLARE_WORKERD_V8_FLAGS` if set, else ours. */
export function localV8Flags(env: NodeJS.ProcessEnv = process.env): string {
  return env.MINIFLARE_WORKERD_V8_FLAGS ?? LOCAL_V8_FLAGS;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  // Miniflare reads the variable whenever it builds workerd's config.
  process.env.MINIFLARE_WORKERD_V8_FLAGS = localV8Flags();
  const persistRoot = join(options.persistTo ?? join(PROJECT_ROOT, ".wrangler", "state"), "v3");
  const buildDir = join(PROJECT_ROOT, ".wrangler", "local-build", String(options.port));
  mkdirSync(buildDir, { recursive: true });
  const entry = await bundleWorker(buildDir, options.env);
  const worker = workerOptionsFromConfig(options.env);
  const secrets = readEnvFile(options.envFile ?? join(PROJECT_ROOT, ".dev.vars")) ?? {};
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;

  // WARDEN_LOCAL_RATELIMIT=miniflare keeps Miniflare's own binding, to measure what it costs.
  const miniflareLimiter = process.env.WARDEN_LOCAL_RATELIMIT === "miniflare";
  const { ratelimits, ...rest } = worker as typeof worker & { ratelimits?: Record<string, RateLimitConfig> };
  if (miniflareLimiter) Object.assign(rest, { ratelimits });
  const localEntryPath = join(buildDir, "local-entry.mjs");
  writeFileSync(localEntryPath, localEntry(miniflareLimiter ? {} : (ratelimits ?? {}), `./${basename(entry)}`));
  const script = {
    // The wrapper first (the entry), then the bundle it imports.
    modules: [{ type: "ESModule", path: localEntryPath }, { type: "ESModule", path: entry }],
    modulesRoot: buildDir,
    bindings: { ...(worker.bindings as Record<string, string>), ...secrets, ...options.vars },
  };
  const shared = (port: number, registry?: string) => ({
    host: "127.0.0.1",
    port,
    // The same layout as `wrangler dev --persist-to`: `{dir}/v3/{d1,do,...}`.
    resourcePersistencePath: persistRoot,
    resourceTmpPath: join(PROJECT_ROOT, ".wrangler", "tmp"),
    unsafeDevRegistryPath: registry,
    logRequests: false,
    unsafeObservability: process.env.X_LOCAL_OBSERVABILITY === "true",
    // WARDEN_INSPECT_PORT=N opens workerd's V8 inspector (CPU profiles: test/bench/profile.ts).
    ...(process.env.WARDEN_INSPECT_PORT && registry === undefined ? { inspectorPort: Number(process.env.WARDEN_INSPECT_PORT) } : {}),
    // The Worker's log lines go straight from workerd's pipes to ours, with no relay.
    handleRuntimeStdio(out: NodeJS.ReadableStream, err: NodeJS.ReadableStream) {
      out.pipe(stdout, { end: false });
      err.pipe(stderr, { end: false });
    },
  });
  const start = (o: Record<string, unknown>) => new Miniflare(convertV4MiniflareOptions(o as unknown as Parameters<typeof convertV4MiniflareOptions>[0]));

  let objects: Miniflare | null = null;
  let tenantBinding: Record<string, unknown> = {};
  let registry: string | undefined;
  if (options.split) {
    registry = join(persistRoot, `registry-${options.port}`);
    mkdirSync(registry, { recursive: true });
    objects = start({ ...shared(0, registry), workers: [{ ...rest, ...script, name: "warden-objects" }] });
    await objects.ready;
    tenantBinding = { durableObjects: { TENANT: { className: "TenantObject", scriptName: "warden-objects", useSQLite: true } } };
  }
  // The Worker answers on `port` itself (workerd's socket for it, `unsafeDirectSockets`), not
  // through Miniflare's entry Worker, which would clone every request into a second isolate
  // and back. The entry Worker still listens, on a free port, for Miniflare's own calls
  // (the cron triggers below, `getWorker()`).
  // WARDEN_LOCAL_ENTRY=miniflare serves through the entry Worker instead, to measure what it costs.
  const viaEntry = process.env.WARDEN_LOCAL_ENTRY === "miniflare";
  const mf = start({
    ...shared(viaEntry ? options.port : await entryPort(options.port), registry),
    workers: [{
      ...rest,
      ...tenantBinding,
      ...script,
      name: "warden",
      ...(viaEntry ? {} : { unsafeDirectSockets: [{ host: "127.0.0.1", port: options.port }] }),
    }],
  });
  const ready = await mf.ready;
  const direct = viaEntry ? ready : await mf.unsafeGetDirectURL("warden");
  const url = `http://127.0.0.1:${direct.port}`;

  // Cron triggers do not fire under `wrangler dev`; here they do, on their schedule.
  const schedules = options.crons === false ? [] : ((worker.cronTriggers as string[] | undefined) ?? []).map((c) => new CronSchedule(c));
  const timer = schedules.length ? startCrons(mf, schedules, stderr) : null;

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: Number(direct.port),
    runtimePids: () => childPids(process.pid, /workerd/),
    stop: () =>
      (stopping ??= (async () => {
        if (timer) clearTimeout(timer.current);
        await mf.dispose();
        await objects?.dispose();
      })()),
  };
}

/**
 * A free port for Miniflare's entry Worker, never `port`. Left to choose one itself (port 0)
 * while the Worker's own socket binds `port`, the kernel could hand it `port` when `port` had
 * just been found free the same way (the end-to-end tests do), and the start failed.
 */
async function entryPort(port: number): Promise<number> {
  for (;;) {
    const found = await findFreePort();
    if (found !== port) return found;
  }
}

/** Fires each schedule at its next minute, then re-arms; a failing run is logged, not fatal. */
function startCrons(mf: Miniflare, schedules: CronSchedule[], log: NodeJS.WritableStream): { current: NodeJS.Timeout } {
  const handle = { current: undefined as unknown as NodeJS.Timeout };
  const arm = () => {
    const now = Date.now();
    const next = Math.min(...schedules.map((s) => s.next(now)));
    handle.current = setTimeout(async () => {
      const due = schedules.filter((s) => s.matches(next));
      try {
        const w = await mf.getWorker();
        for (const s of due) await w.scheduled({ cron: s.expression, scheduledTime: new Date(next) });
      } catch (e) {
        log.write(`${JSON.stringify({ level: "error", msg: "local cron run failed", error: String(e) })}\n`);
      }
      arm();
    }, Math.max(0, next - now));
    handle.current.unref();
  };
  arm();
  return handle;
}

/** Pids of the descendants of `pid` whose command matches, read from /proc (Linux only). */
export function childPids(pid: number, command: RegExp): number[] {
  const found: number[] = [];
  const walk = (parent: number) => {
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const c of children) {
      const child = Number(c);
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, "utf8").replace(/\0/g, " ");
      } catch {
        continue;
      }
      if (command.test(cmd)) found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}
