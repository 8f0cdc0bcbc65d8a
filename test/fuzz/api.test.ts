/// <reference types="node" />
/**
 * @module Fuzzing every operation of the OpenAPI document against the server `npm start` runs.
 * For each operation, requests generated from its description alone (requests.ts) go to a real
 * tenant with users, sessions, keys and a client (world.ts), and every answer is held to:
 * - no 5xx (a documented `503 unavailable` aside), never the `internal` error;
 * - the document (the e2e contract checker: a documented status, the body valid against that
 *   status's schema, so an error's code is one listed for the operation and status, in the
 *   error model of the endpoint: Warden's or RFC 6749's);
 * - `Cache-Control: no-store` on every error and every answer that carries a token or secret;
 * - a refusal (4xx) changes nothing but its counters: the tenant, its users, their sessions,
 *   keys and clients read the same before and after (a refresh-token reuse ends the session
 *   on purpose, RFC 9700 section 4.14.2, and is allowed);
 * - at the end of each operation the tenant's audit chain still verifies.
 *
 * Seeded: `WARDEN_FUZZ_SEED` (default below) seeds each operation (mixed with its id, so an
 * operation added to the document leaves the others' runs alone); `WARDEN_FUZZ_RUNS` sets the
 * runs per operation; `WARDEN_FUZZ_ONLY` runs only the operations whose id it names (comma-
 * separated); `WARDEN_FUZZ_VERBOSE=1` prints every request and answer. A failure prints the
 * seed, the path and the request.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { test } from "node:test";
import fc from "fast-check";
import { buildDocument } from "../../src/openapi/document.ts";
import { contractFor, type Contract } from "../e2e/contract.ts";
import { pathPattern } from "../openapi-routes.ts";
import { useServer } from "../e2e/server.ts";
import { describe, requestArb, type Credentials, type FuzzRequest } from "./requests.ts";
import { deref, type ArbContext, type Json } from "./schema-arb.ts";
import { call, createWorld, nextIp, snapshot, verifyAudit, type World } from "./world.ts";

const server = useServer();
const SEED = Number(process.env.WARDEN_FUZZ_SEED ?? 15_2026);
const VERBOSE = !!process.env.WARDEN_FUZZ_VERBOSE;
const ONLY = process.env.WARDEN_FUZZ_ONLY?.split(",").filter(Boolean);
const doc = buildDocument();

interface Target {
  id: string;
  method: string;
  path: string;
  op: Json;
  /** HTML pages and the WebSocket upgrade: only "never a 5xx" is checked. */
  smoke: boolean;
  /** The path template as a pattern, to tell when a URL's dot segments led elsewhere. */
  re: RegExp;
}

const targets: Target[] = [];
for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
  for (const [method, op] of Object.entries(item)) {
    // The benchmark's seeding routes exist only in development and do bulk work by design.
    if (path.includes("/bench/")) continue;
    const answers = Object.entries(op.responses as Record<string, Json>);
    const smoke = answers.some(([status, a]) => status === "101" || Object.keys(a.content ?? {}).includes("text/html"));
    const re = pathPattern(path);
    targets.push({ id: op.operationId, method: method.toUpperCase(), path, op, smoke, re });
  }
}
/** Runs per operation: about 4,000 requests in all by default (two minutes on two cores), 15 to 60 each. */
const RUNS = Number(process.env.WARDEN_FUZZ_RUNS ?? Math.min(60, Math.max(15, Math.round(4000 / targets.length))));
/** Status counts per operation, printed at the end: an operation that never answers 2xx is fuzzed only at its door. */
const statuses = new Map<string, Map<number, number>>();

// Operations that may change state first, each on a fresh tenant when the one before was
// damaged; then the reads, on one tenant, once its short-lived token has expired.
targets.sort((a, b) => Number(a.method === "GET") - Number(b.method === "GET"));

/** FNV-1a, so each operation's seed depends on the base seed and its own id only. */
function seedOf(id: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h | 0;
}

let contract: Contract;
let foreign: World;
let reads: { world: World; expired: string };
let writes: World | null = null;

/** The shared fixtures, made once the server is up (in the first test: `useServer`'s hook runs first). */
let ready: Promise<void> | undefined;
const setUp = () =>
  (ready ??= (async () => {
    contract = contractFor(new URL(server.url).origin);
    foreign = await createWorld(server, "fz-b");
    const world = await createWorld(server, "fz-r", { expiring: true });
    reads = { world, expired: world.expired! };
  })());

/**
 * Real values by property name, beside what the schema generates: the fixtures' own, and fresh
 * identifiers and a strong password (a rule the schema cannot say, such as a username's
 * alphabet or the password policy, would refuse most generated ones).
 */
function known(w: World): Record<string, unknown[]> {
  const users = [...w.users];
  const fresh = Array.from({ length: 12 }, (_, i) => `fz${i}${randomBytes(3).toString("hex")}`);
  return {
    login: users.flatMap((u) => [u.email, u.username]),
    email: [...users.map((u) => u.email), ...fresh.map((f) => `${f}@fuzz.example.com`)],
    username: [...users.map((u) => u.username), ...fresh],
    password: [...users.map((u) => u.password), "a fresh strong fuzz password 7"],
    new_password: users.map((u) => u.password),
    refresh_token: [...users.map((u) => u.refresh), w.signedOut.refresh],
    token: [...users.flatMap((u) => [u.access, u.refresh]), w.signedOut.refresh],
    client_id: [w.client.client_id],
    client_secret: [w.client.client_secret],
    redirect_uri: ["https://app.example.com/callback"],
    scope: ["openid", "openid profile email", "reports:read"],
    grant_type: ["client_credentials", "refresh_token", "authorization_code"],
  };
}

const TOKEN_FIELDS = /^(access_token|refresh_token|id_token|mfa_token|client_secret|key)$/;
/** Whether the documented answer carries a token or a secret (a field named like one in its schema). */
function carriesSecret(op: Json, status: number, type: string, ctx: ArbContext): boolean {
  const seen = new Set<Json>();
  const walk = (s: Json | undefined): boolean => {
    s = s && deref(s, ctx);
    if (!s || typeof s !== "object" || seen.has(s)) return false;
    seen.add(s);
    if (Object.keys(s.properties ?? {}).some((k) => TOKEN_FIELDS.test(k))) return true;
    return [...(s.allOf ?? []), ...(s.anyOf ?? []), ...(s.oneOf ?? [])].some(walk);
  };
  return walk(op.responses[String(status)]?.content?.[type]?.schema);
}

async function send(r: FuzzRequest): Promise<{ res: Response; text: string }> {
  const headers = { "cf-connecting-ip": nextIp(), ...r.headers };
  const res = await fetch(server.url + r.target, { method: r.method, headers, body: r.body, redirect: "manual", signal: AbortSignal.timeout(60_000) });
  return { res, text: await res.clone().text() };
}

/** What every answer must be, whatever was asked. */
async function checkAnswer(t: Target, ctx: ArbContext, r: FuzzRequest, res: Response, text: string): Promise<void> {
  let body: any = undefined;
  try {
    body = JSON.parse(text);
  } catch {}
  const what = `${describe(r)} → ${res.status} ${text.slice(0, 300)}`;
  assert.notEqual(body?.error?.code, "internal", `internal error: ${what}`);
  assert.ok(res.status < 500 || (res.status === 503 && body?.error?.code === "unavailable"), `server error: ${what}`);
  const before = contract.violations.length;
  await contract.check(r.method, new URL(server.url + r.target), res);
  const found = contract.violations.slice(before);
  // `useServer` reports these again at the end of the file; the property fails at once here.
  assert.deepEqual(found, [], `answer does not match the document: ${found.join("; ")}`);
  // `%2e%2e` is `..` to a URL parser (WHATWG URL, RFC 3986 section 5.2.4): the request went to another path.
  const here = t.re.test(new URL(server.url + r.target).pathname);
  if (r.mustRefuse && here) assert.ok(res.status >= 400, `a credential the operation does not take was accepted (${r.note}): ${what}`);
  const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  if (res.status >= 400 || carriesSecret(t.op, res.status, type, ctx)) assert.match(res.headers.get("cache-control") ?? "", /no-store/, `Cache-Control: no-store missing: ${what}`);
}

/** After a 4xx, the state must read as before; a session ended by refresh-token reuse is the one change allowed. */
function assertUnchanged(before: Json, after: Json | null, what: string): void {
  assert.ok(after, `the tenant is gone after a refusal: ${what}`);
  const reused = (d: Json) => (d?.sessions ?? []).filter((s: Json) => /reuse/.test(s.revoke_reason ?? "")).map((s: Json) => s.id);
  let a = after;
  const ended = Object.values(after.details as Json).flatMap(reused);
  if (ended.length) {
    a = structuredClone(after);
    for (const [id, d] of Object.entries(a.details as Json)) {
      d.sessions = d.sessions.map((s: Json) => (ended.includes(s.id) ? (before.details[id]?.sessions ?? []).find((x: Json) => x.id === s.id) ?? s : s));
    }
    for (const k of ["active_sessions", "event_seq"]) a.tenant.stats[k] = before.tenant.stats[k];
  }
  assert.deepStrictEqual(a, before, `a refusal changed state: ${what}`);
}

/** Fixtures a success may have spent: rotated tokens and secrets are followed. */
function learn(w: World, body: any): void {
  if (!body || typeof body !== "object") return;
  const u = w.users.find((x) => x.session === body.session_id);
  if (u && typeof body.refresh_token === "string") (u.refresh = body.refresh_token), (u.access = body.access_token ?? u.access);
  if (body.client_id === w.client.client_id && typeof body.client_secret === "string") w.client.client_secret = body.client_secret;
}

/** Whether a success took away what the next operation's valid requests need. */
function damaged(w: World, initial: Json, now: Json | null): boolean {
  if (!now) return true;
  if (!isDeepStrictEqual(now.tenant.settings, initial.tenant.settings) || now.tenant.status !== initial.tenant.status) return true;
  for (const u of w.users) {
    const d = now.details[u.id];
    if (!d || !isDeepStrictEqual(d.user, initial.details[u.id].user) || d.mfa.totp) return true;
    if (d.sessions.some((s: Json) => s.id === u.session && s.revoked_at !== null)) return true;
  }
  const live = (k: Json) => (k.api_keys ?? []).filter((x: Json) => x.revoked_at === null).map((x: Json) => x.id);
  return !w.keyIds.every((id) => live(now.keys).includes(id)) || JSON.stringify(now.clients).indexOf(w.client.client_id) < 0;
}

let expiryWaited = false;
for (const t of targets) {
  const name = `${t.id}: ${t.method} ${t.path}`;
  test(name, { skip: ONLY && !ONLY.includes(t.id) ? "not in WARDEN_FUZZ_ONLY" : false }, async () => {
    await setUp();
    const reading = t.method === "GET";
    if (reading && !expiryWaited) {
      // The read world's short-lived token must be past its `exp` (plus the verifier's leeway).
      const exp = JSON.parse(Buffer.from(reads.expired.split(".")[1], "base64url").toString()).exp * 1000;
      const wait = exp + 2_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      expiryWaited = true;
    }
    let world = reading ? reads.world : (writes ??= await createWorld(server, "fz-a"));
    const initial = (await snapshot(server, world.slug))!;
    let baseline: Json | null = initial;
    const ctx: ArbContext = { components: (doc.components as Json).schemas, known: known(world) };
    const creds: Credentials = { world, foreign, adminToken: server.adminToken, expired: reading ? reads.expired : undefined };
    const seed = seedOf(t.id);
    try {
      await fc.assert(
        fc.asyncProperty(requestArb(t.method, t.path, t.op, ctx, creds), async (r) => {
          const { res, text } = await send(r);
          const seen = statuses.get(t.id) ?? statuses.set(t.id, new Map()).get(t.id)!;
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          if (VERBOSE) process.stderr.write(`${describe(r)} → ${res.status} ${text.slice(0, 200)}\n`);
          await checkAnswer(t, ctx, r, res, text);
          if (t.smoke) return;
          const what = `${describe(r)} → ${res.status} ${text.slice(0, 300)}`;
          if (res.status >= 400) {
            if (baseline) assertUnchanged(baseline, await snapshot(server, world.slug), what);
          } else {
            try {
              learn(world, JSON.parse(text));
            } catch {}
            baseline = await snapshot(server, world.slug);
          }
        }),
        { seed, numRuns: t.smoke ? Math.max(5, RUNS >> 2) : RUNS, endOnFailure: !process.env.WARDEN_FUZZ_SHRINK },
      );
    } catch (e) {
      throw new Error(`fuzzing ${name} failed (WARDEN_FUZZ_SEED=${SEED} WARDEN_FUZZ_ONLY=${t.id}; operation seed ${seed})\n${(e as Error).message}`, { cause: e });
    }
    if (baseline) await verifyAudit(server, world.slug);
    if (!reading && damaged(world, initial, await snapshot(server, world.slug))) writes = null;
  });
}

test("the fuzzed tenants' audit chains verify", async (c) => {
  await setUp();
  const line = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ");
  for (const [id, m] of statuses) c.diagnostic(`${id}: ${line(m)}`);
  const never = [...statuses].filter(([, m]) => ![...m.keys()].some((s) => s < 400)).map(([id]) => id);
  if (never.length) c.diagnostic(`no success in ${RUNS} runs: ${never.join(", ")}`);
  for (const w of [foreign, reads.world, ...(writes ? [writes] : [])]) await verifyAudit(server, w.slug);
  // And the fixtures' own server is still up.
  assert.equal((await call(server, "GET", "/health")).status, 200);
});
