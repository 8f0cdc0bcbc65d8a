/// <reference types="node" />
/**
 * @module The fuzzer's fixtures and the state it compares. A world is one tenant with real
 * things in it (users with live sessions, a signed-out session, an API key per scope, an OAuth
 * client, a role granted to a user), its settings raising every per-IP limit so valid requests are not all `429`, and its
 * lockout threshold out of reach so a fixture user is never locked. `snapshot` reads what a
 * refusal must not change through the operator API; `verifyAudit` checks the hash chain.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { TestServer } from "../e2e/server.ts";

type Json = Record<string, any>;

export interface FuzzUser {
  id: string;
  email: string;
  username: string;
  password: string;
  access: string;
  refresh: string;
  session: string;
}

export interface World {
  slug: string;
  users: FuzzUser[];
  /** Tokens of a session that signed out. */
  signedOut: { access: string; refresh: string };
  /** API keys by scope, and their ids. */
  keys: Record<"introspect" | "subscribe" | "manage", string>;
  keyIds: string[];
  client: { client_id: string; client_secret: string };
  /** With `expiring`: an access token of this tenant that expires a minute after it was made. */
  expired?: string;
  /** Path parameter name → ids that exist in this world. */
  ids: Record<string, string[]>;
}

const HIGH = { limit: 100_000, window_s: 60 };
export const FUZZ_SETTINGS = {
  rate_limits: { signup: HIGH, login: HIGH, magic_link: HIGH, password_forgot: HIGH, per_email: HIGH, passkey_options: HIGH, passkey_failures: HIGH },
  lockout: { threshold: 1000, base_s: 1, max_s: 1, hard_limit: 100_000 },
};

let ipCounter = 0;
/** A fresh client address for each request (10.0.0.0/8): per-IP budgets never run out. */
export function nextIp(): string {
  const n = ++ipCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export async function call(server: TestServer, method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      "cf-connecting-ip": nextIp(),
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body };
}

async function ok(server: TestServer, method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<any> {
  const r = await call(server, method, path, o);
  assert.ok(r.status < 300, `fixture ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function signUp(server: TestServer, slug: string, name: string): Promise<FuzzUser> {
  const email = `${name}@fuzz.example.com`;
  const password = `fuzz ${name} ${randomBytes(6).toString("hex")} battery`;
  const username = `${name}_${randomBytes(3).toString("hex")}`;
  const t = await ok(server, "POST", `/v1/${slug}/signup`, { body: { email, username, password } });
  return { id: t.user.id, email, username, password, access: t.access_token, refresh: t.refresh_token, session: t.session_id };
}

/** A tenant with users, sessions, keys and a client. `prefix` names it. */
export async function createWorld(server: TestServer, prefix: string, o: { expiring?: boolean } = {}): Promise<World> {
  const slug = `${prefix}-${randomBytes(4).toString("hex")}`;
  const admin = server.adminToken;
  const t = await ok(server, "POST", "/v1/admin/tenants", { token: admin, body: { slug, name: `Fuzz ${slug}`, settings: FUZZ_SETTINGS } });
  let expired: string | undefined;
  if (o.expiring) {
    // The shortest access-token lifetime a tenant may set, for one sign-up, then back.
    await ok(server, "PATCH", `/v1/admin/tenants/${slug}`, { token: admin, body: { settings: { access_ttl_s: 60 } } });
    expired = (await signUp(server, slug, "erin")).access;
    await ok(server, "PATCH", `/v1/admin/tenants/${slug}`, { token: admin, body: { settings: { access_ttl_s: (t.settings ?? t.tenant?.settings).access_ttl_s } } });
  }
  const users = [await signUp(server, slug, "alice"), await signUp(server, slug, "bob")];
  // A second session of alice, so ending one leaves another.
  const again = await ok(server, "POST", `/v1/${slug}/login`, { body: { login: users[0].email, password: users[0].password } });
  const gone = await signUp(server, slug, "gone");
  await ok(server, "POST", `/v1/${slug}/logout`, { token: gone.access });
  const keys = {} as World["keys"];
  const keyIds: string[] = [];
  for (const scope of ["introspect", "subscribe", "manage"] as const) {
    const k = await ok(server, "POST", `/v1/admin/tenants/${slug}/api-keys`, { token: admin, body: { name: `fuzz ${scope}`, scopes: [scope] } });
    keys[scope] = k.key;
    keyIds.push(k.id);
  }
  const client = await ok(server, "POST", `/v1/admin/tenants/${slug}/clients`, {
    token: admin,
    body: { client_name: "Fuzz app", grant_types: ["authorization_code", "refresh_token", "client_credentials"], redirect_uris: ["https://app.example.com/callback"], scope: "openid profile email reports:read" },
  });
  const role = "fuzz.reader";
  await ok(server, "POST", `/v1/admin/tenants/${slug}/roles`, { token: admin, body: { name: role, description: "Fuzz", scopes: ["reports:read"] } });
  await ok(server, "PUT", `/v1/admin/tenants/${slug}/users/${users[1].id}/roles/${role}`, { token: admin });
  const ids = [...users, gone].map((u) => u.id);
  const sessions = [users[0].session, again.session_id, users[1].session];
  return {
    slug,
    users,
    signedOut: { access: gone.access, refresh: gone.refresh },
    expired,
    keys,
    keyIds,
    client: { client_id: client.client_id, client_secret: client.client_secret },
    ids: {
      // `{id}` names users, keys, sessions and more: each operation's own kind is among them.
      id: [...ids, ...keyIds, ...sessions],
      sid: sessions,
      role: [role],
      name: [role],
      client_id: [client.client_id],
      tenant: [slug],
      slug: [slug],
    },
  };
}

/**
 * What a refusal must leave alone: the tenant (its stats), the users, each user's sessions,
 * the API keys and the clients, as the operator API shows them. Counters a refusal may move
 * (lockout, failed attempts, rate limits) and times of last use are left out.
 */
export async function snapshot(server: TestServer, slug: string): Promise<Json | null> {
  const admin = server.adminToken;
  const base = `/v1/admin/tenants/${slug}`;
  const tenant = await call(server, "GET", base, { token: admin });
  // Deleted (a success of deleteTenant): nothing left to compare.
  if (tenant.status === 404 || tenant.body?.status !== "active") return null;
  assert.equal(tenant.status, 200, `snapshot ${base}: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const [users, keys, clients] = await Promise.all([
    call(server, "GET", `${base}/users?limit=1000`, { token: admin }),
    call(server, "GET", `${base}/api-keys`, { token: admin }),
    call(server, "GET", `${base}/clients`, { token: admin }),
  ]);
  if (users.status === 404) return null;
  assert.equal(users.status, 200, `snapshot users: ${users.status} ${JSON.stringify(users.body)}`);
  const details: Json = {};
  await Promise.all(
    users.body.users.map(async (u: Json) => {
      const d = await call(server, "GET", `${base}/users/${u.id}`, { token: admin });
      assert.equal(d.status, 200, `snapshot user ${u.id}: ${d.status}`);
      details[u.id] = d.body;
    }),
  );
  return strip({ tenant: tenant.body, users: users.body, details, keys: keys.body, clients: clients.body });
}

/** Fields a refusal may change: counters of failures and limits, times of last use, and background work (the alarm, the delivery outbox). */
const MOVING = /lock|fail|^(storage_bytes|next_alarm_at|outbox|last_used_at|last_seen_at|online)$/;

function strip(v: unknown): any {
  if (Array.isArray(v)) return v.map(strip);
  if (!v || typeof v !== "object") return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) if (!MOVING.test(k)) out[k] = strip(x);
  return out;
}

export async function verifyAudit(server: TestServer, slug: string): Promise<void> {
  const r = await call(server, "GET", `/v1/admin/tenants/${slug}/audit/verify`, { token: server.adminToken });
  assert.equal(r.status, 200, `audit verify ${slug}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.ok(r.body.ok !== false && r.body.valid !== false, `audit chain of ${slug} broken: ${JSON.stringify(r.body)}`);
}
