/// <reference types="node" />
/**
 * @module Warden under test: started exactly as `npm start` starts it (src/cli/dev-server.ts:
 * local D1 migrations, then the server of `npm start`), but isolated like the end-to-end tests: a free
 * port, a temporary `--persist-to` directory, random secrets passed with `--var` and an empty
 * env file, so the developer's `.dev.vars` and `.wrangler/state` are never touched. LOG_LEVEL
 * is `warn`, as in production: at `info` the per-request log line (printed by wrangler) would be
 * part of what is measured.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyLocalMigrations, findFreePort, startServer, type RunningServer } from "../../src/cli/dev-server.ts";
import { treeCpuMs, treeRss } from "./proc.ts";

export const PASSWORD = "bench correct horse battery staple";

export interface Warden {
  url: string;
  adminToken: string;
  /** Summed RSS of the workerd processes under wrangler. */
  rss(): number;
  /** CPU time spent so far by the server's processes (the local server and its workerd), ms. */
  cpu(): number;
  /** wrangler's recent output (for failures). */
  output(): string;
  stop(): Promise<void>;
}

/** `split`: the tenant objects in a workerd process of their own (src/cli/local-server.ts); `vars`: more vars. */
export async function startWarden(opts: { split?: boolean; vars?: Record<string, string> } = {}): Promise<Warden> {
  const dir = await mkdtemp(join(tmpdir(), "warden-bench-"));
  const persistTo = join(dir, "state");
  const envFile = join(dir, "empty.env");
  await writeFile(envFile, "");
  await applyLocalMigrations({ persistTo });
  const adminToken = randomBytes(32).toString("base64url");
  const port = await findFreePort();
  let server: RunningServer;
  try {
    server = await startServer({
      port,
      persistTo,
      split: opts.split,
      envFile,
      readyTimeoutMs: 120_000,
      vars: {
        ...opts.vars,
        ADMIN_TOKEN: adminToken,
        MASTER_KEY: randomBytes(32).toString("base64"),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: "warn",
      },
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const pid = server.proc.pid!;
  return {
    url: server.url,
    adminToken,
    rss: () => treeRss(pid, /^workerd/),
    cpu: () => treeCpuMs(pid),
    output: () => server.output(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: any;
}

export async function http(url: string, method: string, path: string, o: { body?: unknown; token?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

export async function must(p: Promise<Reply>, status: number, what: string): Promise<any> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Settings for bench tenants: the real password cost, and limits a one-IP load generator won't hit. */
export const BENCH_SETTINGS = {
  password: { hash: "argon2id" },
  rate_limits: {
    signup: { limit: 100_000, window_s: 1 },
    login: { limit: 100_000, window_s: 1 },
  },
  lockout: { threshold: 1000, hard_limit: 100_000 },
};

export class Admin {
  readonly w: Warden;
  constructor(w: Warden) {
    this.w = w;
  }

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    return http(this.w.url, method, `/v1/admin${path}`, { body, token: this.w.adminToken });
  }

  async tenant(slug: string): Promise<void> {
    await must(this.call("POST", "/tenants", { slug, name: `Bench ${slug}`, settings: BENCH_SETTINGS }), 201, `create tenant ${slug}`);
  }

  async apiKey(slug: string, scopes: string[]): Promise<string> {
    return (await must(this.call("POST", `/tenants/${slug}/api-keys`, { name: "bench", scopes }), 201, "api key")).key;
  }

  /**
   * Seeds `users` users and `sessions` sessions in batches of at most 5,000 rows per call
   * (the object stays responsive between them); usernames `{prefix}{n}`.
   */
  async seed(slug: string, o: { users: number; sessions: number; prefix: string; offset?: number; sessionTtlS?: number; onProgress?: (done: number) => void }): Promise<void> {
    const per = Math.max(1, Math.ceil(o.sessions / o.users));
    const usersPerCall = Math.max(1, Math.floor(5_000 / (1 + per)));
    let done = 0;
    let sessionsLeft = o.sessions;
    while (done < o.users) {
      const users = Math.min(usersPerCall, o.users - done);
      const sessions = Math.min(sessionsLeft, users * per, 5_000 - users);
      await must(this.call("POST", `/tenants/${slug}/bench/seed`, {
        users, sessions, offset: (o.offset ?? 0) + done, prefix: o.prefix, password: PASSWORD,
        ...(o.sessionTtlS ? { session_ttl_s: o.sessionTtlS } : {}),
      }), 200, "seed");
      done += users;
      sessionsLeft -= sessions;
      o.onProgress?.(done);
    }
  }
}

/** A token response for a seeded (or signed-up) user. */
export async function login(url: string, slug: string, username: string): Promise<any> {
  return must(http(url, "POST", `/v1/${slug}/login`, { body: { login: username, password: PASSWORD } }), 200, `login ${username}`);
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}
