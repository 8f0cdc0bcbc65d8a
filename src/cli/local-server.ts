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
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { CronSchedule } from "./cron-schedule.ts";
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
 * counter of the Cloudflare location (eventually consistent by design). Here each binding is
 * a service binding to a Worker in the same runtime with that in-memory behaviour: a fixed
 * window per key of the configured `period`, at most `limit` calls in it. The router's code is
 * the same in both places; only what stands behind the binding differs.
 */
export function rateLimitShim(ratelimits: Record<string, RateLimitConfig>): { worker: Record<string, unknown>; bindings: Record<string, { name: string; entrypoint: string }> } {
  const classes = Object.entries(ratelimits).map(([name, c]) => `
export class ${name} extends WorkerEntrypoint {
  limit({ key }) { return count(${JSON.stringify(name)}, String(key), ${Number(c.simple.limit)}, ${Number(c.simple.period)}); }
}`).join("\n");
  const script = `import { WorkerEntrypoint } from "cloudflare:workers";
const windows = new Map();
function count(binding, key, limit, period) {
  const now = Math.floor(Date.now() / 1000 / period);
  const id = binding + "\\0" + key;
  let w = windows.get(id);
  if (!w || w.window !== now) {
    if (windows.size > 100000) windows.clear();
    w = { window: now, n: 0 };
    windows.set(id, w);
  }
  w.n += 1;
  return { success: w.n <= limit };
}
export default { fetch() { return new Response("rate-limit shim", { status: 404 }); } };
${classes}
`;
  return {
    worker: { name: "warden-local-ratelimit", modules: [{ type: "ESModule", path: "ratelimit.mjs", contents: script }], compatibilityDate: "2026-11-01" },
    bindings: Object.fromEntries(Object.keys(ratelimits).map((name) => [name, { name: "warden-local-ratelimit", entrypoint: name }])),
  };
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
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
  const shim = rateLimitShim(miniflareLimiter ? {} : (ratelimits ?? {}));
  if (miniflareLimiter) Object.assign(rest, { ratelimits });
  const script = {
    modules: true,
    modulesRoot: buildDir,
    scriptPath: entry,
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
    objects = start({ ...shared(0, registry), workers: [{ ...rest, ...script, name: "warden-objects", serviceBindings: shim.bindings }, shim.worker] });
    await objects.ready;
    tenantBinding = { durableObjects: { TENANT: { className: "TenantObject", scriptName: "warden-objects", useSQLite: true } } };
  }
  const mf = start({
    ...shared(options.port, registry),
    workers: [{
      ...rest,
      ...tenantBinding,
      ...script,
      serviceBindings: { ...(rest.serviceBindings as Record<string, unknown> | undefined), ...shim.bindings },
      name: "warden",
    }, { ...shim.worker }],
  });
  const ready = await mf.ready;
  const url = `http://127.0.0.1:${ready.port}`;

  // Cron triggers do not fire under `wrangler dev`; here they do, on their schedule.
  const schedules = options.crons === false ? [] : ((worker.cronTriggers as string[] | undefined) ?? []).map((c) => new CronSchedule(c));
  const timer = schedules.length ? startCrons(mf, schedules, stderr) : null;

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: Number(ready.port),
    runtimePids: () => childPids(process.pid, /workerd/),
    stop: () =>
      (stopping ??= (async () => {
        if (timer) clearTimeout(timer.current);
        await mf.dispose();
        await objects?.dispose();
      })()),
  };
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
