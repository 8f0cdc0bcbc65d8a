/// <reference types="node" />
/**
 * @module The single-route scenarios: sign-up, login (argon2id at OWASP parameters, in the
 * router), refresh (rotation) and introspection, each on one tenant object.
 */
import { hashPassword } from "../../../src/crypto/password.ts";
import type { Ctx } from "../context.ts";
import { load, type LoadSpec } from "../load.ts";
import { serverMeter } from "../proc.ts";
import { median, type Row } from "../stats.ts";
import { http, login, PASSWORD, pool } from "../warden.ts";

export const SLUG = "bench";
export const USERS = 1_000;

/** The bench tenant: 1,000 seeded users (one session each) and an API key. */
export async function setup(c: Ctx): Promise<{ key: string }> {
  await c.admin.tenant(SLUG);
  await c.admin.seed(SLUG, { users: USERS, sessions: USERS, prefix: "user" });
  return { key: await c.admin.apiKey(SLUG, ["introspect", "subscribe"]) };
}

/** Median time of one argon2id hash at the tenant's parameters, in this process (same V8 as workerd). */
export async function hashTimeMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await hashPassword(PASSWORD, "argon2id");
    times.push(performance.now() - t);
  }
  return median(times.slice(2))!;
}

export async function signup(c: Ctx): Promise<Row> {
  let n = 0;
  const meter = serverMeter(c.w);
  const r = await load({
    url: c.w.url, connections: 2, durationS: c.sizes.durationS, method: "POST", path: `/v1/${SLUG}/signup`,
    body: () => JSON.stringify({ email: `s${process.pid}-${n++}@bench.invalid`, password: PASSWORD }),
  });
  return { scenario: "signup", system: "warden", ...r, ...meter.stop(r.requests), note: failures(r.failures, "2 connections (one argon2id hash each)") };
}

/** Logins of distinct users, one at a time (latency without queueing behind other hashes). */
export async function loginScenarioOn(c: Ctx, slug: string, users: number, scenario: string): Promise<Row> {
  let n = 0;
  const meter = serverMeter(c.w);
  const r = await load({
    url: c.w.url, connections: 1, durationS: c.sizes.durationS, method: "POST", path: `/v1/${slug}/login`,
    // A stride through the whole range, so successive logins touch different index pages.
    body: () => JSON.stringify({ login: `user${(n++ * 7919) % users}`, password: PASSWORD }),
  });
  return { scenario, system: "warden", ...r, ...meter.stop(r.requests), note: failures(r.failures, "1 connection") };
}

export async function loginScenario(c: Ctx, hashMs: number): Promise<Row> {
  const r = await loginScenarioOn(c, SLUG, USERS, "login");
  return { ...r, target: `p50 ≤ hash ${hashMs.toFixed(0)} + 5 ms`, met: r.p50! <= hashMs + 5 };
}

/**
 * autocannon over refresh chains, like the other HTTP rows. Each connection takes a chain and
 * sends that chain's newest refresh token, kept in `chains` rather than in the connection's
 * context: autocannon starts a fresh context when it reconnects, and a context that began
 * again from the chain's first token sent a superseded one, which is reuse and revoked the
 * chain (as it should).
 */
export function refreshLoad(url: string, slug: string, chains: string[], connections: number, durationS: number): LoadSpec {
  let next = 0;
  return {
    url, connections, durationS, method: "POST", path: `/v1/${slug}/refresh`,
    body: (conn) => JSON.stringify({ refresh_token: chains[(conn.chain ??= next++ % chains.length) as number] }),
    onResponse: (status, body, conn) => {
      if (status === 200) chains[conn.chain as number] = JSON.parse(body).refresh_token;
    },
  };
}

/** Each client walks its own refresh chain: every response's token is the next request's. */
export async function refresh(c: Ctx): Promise<Row> {
  const conns = c.sizes.connections;
  const chains: string[] = await pool(Array.from({ length: conns }, (_, i) => i), 2, async (i) => (await login(c.w.url, SLUG, `user${i}`)).refresh_token);
  const meter = serverMeter(c.w);
  const r = await load(refreshLoad(c.w.url, SLUG, chains, conns, c.sizes.durationS));
  return { scenario: "refresh", system: "warden", ...r, ...meter.stop(r.requests), target: "≥ 2,000/s", met: r.rps >= 2000, note: failures(r.failures, `${conns} connections, each on its own token chain`) };
}

/** The ceiling of the local HTTP stack: a route that never reaches a tenant object. */
export async function health(c: Ctx): Promise<Row> {
  const meter = serverMeter(c.w);
  const r = await load({ url: c.w.url, connections: c.sizes.connections, durationS: c.sizes.durationS, method: "GET", path: "/health" });
  return { scenario: "baseline: GET /health (no object)", system: "warden", ...r, ...meter.stop(r.requests), note: failures(r.failures, `${c.sizes.connections} connections; the local HTTP ceiling`) };
}

export async function accessTokens(c: Ctx, slug: string, users: string[]): Promise<string[]> {
  return pool(users, 2, async (u) => (await login(c.w.url, slug, u)).access_token);
}

export async function introspection(c: Ctx, key: string, tokens: string[], o: { slug?: string; scenario?: string; durationS?: number; rate?: number; connections?: number } = {}): Promise<Row> {
  let n = 0;
  let inactive = 0;
  const meter = serverMeter(c.w);
  const conns = o.connections ?? c.sizes.connections;
  const r = await load({
    url: c.w.url, connections: conns, durationS: o.durationS ?? c.sizes.durationS, rate: o.rate,
    method: "POST", path: `/v1/${o.slug ?? SLUG}/introspect`, headers: { authorization: `Bearer ${key}` },
    body: () => JSON.stringify({ token: tokens[n++ % tokens.length] }),
    // An answer must also say active: the tokens stay live throughout.
    onResponse: (status, body) => {
      if (status === 200 && !body.includes('"active":true')) inactive++;
    },
  });
  return { scenario: o.scenario ?? "introspection", system: "warden", ...r, ...meter.stop(r.requests), target: "≥ 2,000/s", met: r.rps >= 2000, note: failures(r.failures + inactive, `${conns} connections${o.rate ? `, ${o.rate}/s offered` : ""}`) };
}

export function failures(n: number, note: string): string {
  return n ? `${note}; ${n} FAILED` : note;
}
