/** @module Test helpers: HTTP against the Worker in workerd, tenants, users, keys. */
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { clock } from "../src/clock.ts";
import { verifyAudit, type AuditVerification } from "../objects/tenant/audit.ts";
import { contractViolation } from "./contract.ts";

/** The test bindings (typed as the Worker's own Env by test/env.d.ts). */
export { env };

export const ADMIN = "test-admin-token-0123456789abcdef";
export const BASE = "http://warden.test";
export const PASSWORD = "correct horse battery staple";

let counter = 0;
export const uniq = (p = "t") => `${p}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export interface Call {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(method: string, path: string, o: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: BodyInit } = {}): Promise<Call> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: BodyInit | undefined = o.raw;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await SELF.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await bodyText(res);
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  // Every answer of a documented operation must match the OpenAPI document (test/contract.ts).
  const violation = contractViolation(method, path, res.status, res.headers.get("content-type"), parsed);
  if (violation) throw new Error(`answer does not match the OpenAPI document: ${violation}`);
  return { status: res.status, headers: res.headers, body: parsed };
}

export const admin = (method: string, path: string, body?: unknown) => call(method, `/v1/admin${path}`, { body, token: ADMIN });

/** A fresh tenant; pbkdf2 by default so tests stay fast (argon2id is tested on its own). */
/**
 * A body as UTF-8 text, whatever its media type: `.text()` on a form or NDJSON body makes
 * workerd warn that the body "does not appear to be text".
 */
export async function bodyText(body: Request | Response): Promise<string> {
  return new TextDecoder().decode(await body.arrayBuffer());
}

const created: string[] = [];

/** The tenants `newTenant` made since the last call (test/account/kit.ts settles their deliveries after each test). */
export function takeCreatedTenants(): string[] {
  return created.splice(0);
}

export async function newTenant(settings: Record<string, unknown> = {}, slug = uniq("t")): Promise<string> {
  const r = await admin("POST", "/tenants", { slug, name: `Tenant ${slug}`, settings: { password: { hash: "pbkdf2-sha256" }, ...settings } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  created.push(slug);
  return slug;
}

export async function signup(slug: string, o: { email?: string; username?: string; password?: string } = {}): Promise<any> {
  const r = await call("POST", `/v1/${slug}/signup`, { body: { email: o.email ?? `${uniq("u")}@example.com`, ...(o.username ? { username: o.username } : {}), password: o.password ?? PASSWORD } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

export async function apiKey(slug: string, scopes: string[] = ["introspect", "subscribe", "manage"]): Promise<string> {
  const r = await admin("POST", `/tenants/${slug}/api-keys`, { name: "test", scopes });
  expect(r.status).toBe(201);
  return r.body.key;
}

export async function introspect(slug: string, key: string, token: string): Promise<any> {
  const r = await call("POST", `/v1/${slug}/introspect`, { token: key, body: { token } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

export const stub = (slug: string) => env.TENANT.getByName(slug);

export function expectError(r: Call, status: number, code: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body?.error?.code).toBe(code);
  expect(r.headers.get("cache-control")).toBe("no-store");
}

// ---------------------------------------------------------------- core test helpers

/** A tenant with the given settings merged over the fast pbkdf2 default (`password` merges key by key). */
export async function tenantWith(settings: Record<string, unknown> = {}, slug = uniq("t")): Promise<string> {
  const password = { hash: "pbkdf2-sha256", ...((settings.password as Record<string, unknown>) ?? {}) };
  return newTenant({ ...settings, password }, slug);
}

export const login = (slug: string, login: string, password = PASSWORD) => call("POST", `/v1/${slug}/login`, { body: { login, password } });

export const refresh = (slug: string, refreshToken: string) => call("POST", `/v1/${slug}/refresh`, { body: { refresh_token: refreshToken } });

/** Rows from the tenant object's SQLite, read inside the object. */
export function rows<T = Record<string, unknown>>(slug: string, query: string, ...args: (string | number | null)[]): Promise<T[]> {
  return runInDurableObject(stub(slug), (_o, state) => state.storage.sql.exec(query, ...args).toArray() as T[]);
}

export async function count(slug: string, table: string, where = "1 = 1", ...args: (string | number | null)[]): Promise<number> {
  return (await rows<{ n: number }>(slug, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, ...args))[0].n;
}

/** Users, sessions, live sessions, refresh chains, events: what a refused request must not change. */
export async function snapshot(slug: string): Promise<Record<string, number>> {
  const [r] = await rows<Record<string, number>>(
    slug,
    `SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM sessions) AS sessions,
            (SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL) AS live_sessions,
            (SELECT COUNT(*) FROM refresh_chains) AS refresh_chains, (SELECT COUNT(*) FROM events) AS events,
            (SELECT COUNT(*) FROM credentials) AS credentials, (SELECT MAX(secret_version) FROM users) AS max_ver`,
  );
  return r;
}

export async function d1<T = Record<string, unknown>>(query: string, ...args: (string | number | null)[]): Promise<T[]> {
  return (await env.DB.prepare(query).bind(...args).all<T>()).results;
}

/** Polls `fn` until it returns a truthy value (bounded: ~2 s), for work that lands just after a response. */
export async function eventually<T>(fn: () => Promise<T>, tries = 40): Promise<NonNullable<T>> {
  let v = await fn();
  for (let i = 0; !v && i < tries; i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  if (!v) throw new Error("eventually: condition never held");
  return v;
}

/** D1 rows for `query`, polled until there is at least one. */
export const d1Eventually = <T = Record<string, unknown>>(query: string, ...args: (string | number | null)[]) =>
  eventually(() => d1<T>(query, ...args).then((r) => (r.length ? r : null)));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The clock's second now; `expectSecondSince(t, from)` then asserts that a JWT time claim `t`
 * (`auth_time`, `iat`) was set between `from` and this moment. An exact equality with the second
 * after the call fails whenever the call straddles a second boundary.
 */
export const clockSecond = () => Math.floor(clock.now() / 1000);
export function expectSecondSince(t: unknown, from: number): void {
  expect(t).toBeGreaterThanOrEqual(from);
  expect(t).toBeLessThanOrEqual(clockSecond());
}

/**
 * A login taken apart at the object, so a test can act between its two calls: `loginStart` is
 * done (it must succeed); `finish()` records a right password against the version it read.
 */
export async function loginHalfway(slug: string, email: string) {
  const o = stub(slug);
  const meta = { ip: null, userAgent: null };
  const start = await o.loginStart({ login: { kind: "email", value: email }, meta, turnstileVerified: false });
  if (!start.ok) throw new Error(`loginStart failed: ${JSON.stringify(start)}`);
  const { userId, attemptKey, secretVersion } = start.value;
  return { o, attemptKey, finish: () => o.loginFinish({ userId, attemptKey, verified: true, secretVersion, rehash: null, meta }) };
}

/** Walks the tenant's audit chain in the object, with its keys (what `GET .../audit/verify` answers). */
export function verifyChain(slug: string): Promise<AuditVerification> {
  return runInDurableObject(stub(slug), async (o) => {
    const b = await o.begin({ allowDeleted: true });
    if (!b.ok) throw new Error(b.error.code);
    return verifyAudit(b.value.sql, b.value.auditKeys);
  });
}

/**
 * Runs the tenant object's outbox now (twice: a drain already in flight may predate the
 * newest rows), then waits for the webhook attempts it started, which the drain does not.
 * Commits start their drain on the next turn, after the answer; a test that looks at what the
 * outbox delivered waits here first.
 */
export async function settleOutbox(slug: string): Promise<void> {
  await runInDurableObject(stub(slug), async (o) => {
    await o.drain();
    await o.drain();
    await o.deliveriesSettled();
  });
}
