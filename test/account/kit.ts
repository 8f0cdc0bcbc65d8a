/**
 * @module Shared pieces of the account-security tests: a mock of every outbound fetch
 * (Turnstile siteverify and the tenant's webhook receiver), the messages the receiver got,
 * TOTP codes at the test clock, and requests from one client IP.
 *
 * The mock replaces the global `fetch` with `vi.spyOn`: in @cloudflare/vitest-plugin the
 * `main` Worker (reached through SELF) and the Durable Objects it defines run in the same
 * isolate as the tests, so the Worker's Turnstile call and the tenant object's webhook
 * delivery both see it. Anything else that goes out fails the test.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, expect, vi } from "vitest";
import { clock } from "../../src/clock.ts";
import { base32Decode } from "../../src/crypto/base32.ts";
import { hotp, totpStep } from "../../src/crypto/totp.ts";
import { SITEVERIFY } from "../../src/turnstile.ts";
import type { Message } from "../../objects/tenant/messages.ts";
import { bodyText, call, expectError, newTenant, PASSWORD, settleOutbox, signup, stub, takeCreatedTenants, uniq, type Call } from "../helpers.ts";

export const HOOK_URL = "https://hooks.example.test/warden";
export const HOOK_SECRET = "whsec-test-0123456789abcdef";
export const DELIVERY = { delivery: { webhook_url: HOOK_URL, webhook_secret: HOOK_SECRET } };

export interface Received {
  headers: Headers;
  body: string;
  /** The request's redirect mode: Warden's must be "manual". */
  redirect: Request["redirect"];
}

export interface Outbound {
  /** How siteverify answers: success, rejection, a network error, or a 5xx. */
  siteverify: "pass" | "fail" | "down" | "5xx";
  siteverifyCalls: Record<string, string>[];
  /** How the webhook receiver answers: 204, 503, a 307 to elsewhere, or never (ignoring the abort signal). */
  receiver: "ok" | "fail" | "redirect" | "hang";
  attempts: Received[];
  delivered: Received[];
}

const freshOutbound = (): Outbound => ({ siteverify: "pass", siteverifyCalls: [], receiver: "ok", attempts: [], delivered: [] });

/**
 * For a test file: before each test, `fetch` is mocked and the returned object starts afresh
 * (the same object, so a file can hold it in a const). After each, the deliveries of the
 * tenants the test made are settled while the mock still answers them, the real clock is
 * back, and `fetch` refuses everything: a retry that falls due later fails like a network
 * error instead of reaching for a host that does not exist (workerd reports a failed DNS
 * lookup as an uncaught internal error, outside any test).
 */
export function useMockOutbound(): Outbound {
  const o = freshOutbound();
  beforeEach(() => mockOutbound(o));
  afterEach(async () => {
    if (o.receiver !== "hang") await Promise.all(takeCreatedTenants().map(settleOutbox));
    takeCreatedTenants();
    clock.reset();
    vi.restoreAllMocks();
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      throw new TypeError(`outbound fetch between tests: ${new Request(input).url}`);
    });
  });
  return o;
}

function mockOutbound(o: Outbound): void {
  Object.assign(o, freshOutbound());
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (req.url === SITEVERIFY) {
      o.siteverifyCalls.push(Object.fromEntries([...(await req.formData()).entries()].map(([k, v]) => [k, String(v)])));
      if (o.siteverify === "down") throw new TypeError("Network connection lost.");
      if (o.siteverify === "5xx") return new Response("bad gateway", { status: 502 });
      const success = o.siteverify === "pass";
      return Response.json({ success, "error-codes": success ? [] : ["invalid-input-response"] });
    }
    if (req.url === HOOK_URL) {
      const r = { headers: req.headers, body: await bodyText(req), redirect: req.redirect };
      o.attempts.push(r);
      if (o.receiver === "fail") return new Response("unavailable", { status: 503 });
      if (o.receiver === "redirect") return new Response(null, { status: 307, headers: { location: "http://169.254.169.254/latest/meta-data/" } });
      if (o.receiver === "hang") return new Promise<Response>(() => {});
      o.delivered.push(r);
      return new Response(null, { status: 204 });
    }
    throw new Error(`unexpected outbound fetch: ${req.method} ${req.url}`);
  });
}

/** The outbox delivered, and the webhook attempts settled (test/helpers.ts). */
export const flush = settleOutbox;

/** Every message the receiver has accepted for this tenant, oldest first. */
export async function inbox(out: Outbound, slug: string): Promise<Message[]> {
  await flush(slug);
  return out.delivered.map((r) => JSON.parse(r.body) as Message).filter((m) => m.tenant === slug);
}

/** The single latest message of `type` to `email`. */
export async function lastMessage(out: Outbound, slug: string, type: Message["type"], email: string): Promise<Message> {
  const m = (await inbox(out, slug)).filter((x) => x.type === type && x.email === email);
  expect(m.length, `no ${type} message to ${email}`).toBeGreaterThan(0);
  return m[m.length - 1];
}

/** The three RFC 5737 documentation blocks: 762 addresses, handed out in turn from a random start. */
const TEST_NETS = ["192.0.2", "198.51.100", "203.0.113"];
let nextIp = Math.floor(Math.random() * 762);
function freshIp(): string {
  const n = nextIp++ % 762;
  return `${TEST_NETS[Math.floor(n / 254)]}.${(n % 254) + 1}`;
}

/**
 * Requests from one client IP. Each call without an address takes the next one in turn, so two
 * clients in one test file never share an address (a random pick did, one time in 250) and
 * per-IP limits never leak between tests.
 */
export function client(ip = freshIp()) {
  const headers = { "cf-connecting-ip": ip };
  return (method: string, path: string, o: Parameters<typeof call>[2] = {}): Promise<Call> => call(method, path, { ...o, headers: { ...headers, ...(o.headers ?? {}) } });
}

/** Moves the test clock forward to the middle of a 30-second TOTP step, so a test never straddles a step boundary. */
export function midStep(): void {
  const into = clock.now() % 30_000;
  clock.advance((45_000 - into) % 30_000);
}

/** The TOTP code of `secret` (base32) at the test clock, `steps` away from now. */
export function totp(secret: string, steps = 0): string {
  return hotp(base32Decode(secret), totpStep(clock.now()) + steps);
}

/** A tenant with webhook delivery and one user who signed up with an email; the signup session's tokens. */
export async function tenantWithUser(settings: Record<string, unknown> = {}): Promise<{ t: string; email: string; user: any; access: string; refresh: string }> {
  const t = await newTenant({ ...DELIVERY, ...settings });
  const email = `${uniq("u")}@example.com`;
  const s = await signup(t, { email });
  return { t, email, user: s.user, access: s.access_token, refresh: s.refresh_token };
}

/**
 * Verifies the user's current address the way an owner does: a requested link, used with their
 * own session. A magic link or reset on a verified account is an ordinary sign-in or reset,
 * not a claim (which would remove the user's TOTP and end their sessions).
 */
export async function verifyOwnEmail(out: Outbound, t: string, email: string, access: string): Promise<void> {
  expect((await call("POST", `/v1/${t}/email/verify/request`, { token: access })).status).toBe(202);
  const v = await call("POST", `/v1/${t}/email/verify`, { token: access, body: { token: (await lastMessage(out, t, "email_verify", email)).token } });
  expect(v.status, JSON.stringify(v.body)).toBe(204);
}

/** Enrolls and confirms TOTP with the given access token; returns the base32 secret and the first recovery codes. */
export async function enableTotp(t: string, access: string): Promise<{ secret: string; codes: string[] }> {
  const e = await call("POST", `/v1/${t}/mfa/totp`, { token: access });
  expect(e.status, JSON.stringify(e.body)).toBe(200);
  const c = await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: totp(e.body.secret) } });
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  return { secret: e.body.secret, codes: c.body.recovery_codes };
}

/** A password login that must stop at the second factor; returns the mfa_token. */
export async function passwordStep(t: string, login: string, req = client()): Promise<string> {
  const r = await req("POST", `/v1/${t}/login`, { body: { login, password: PASSWORD } });
  expectError(r, 401, "mfa_required");
  expect(typeof r.body.error.mfa_token).toBe("string");
  return r.body.error.mfa_token;
}

/** The payload of a JWT, unverified (the tests read `amr`). */
export function claims(jwt: string): Record<string, any> {
  return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
}

/** Reads rows from the tenant object's SQLite. */
export function rows<T = Record<string, unknown>>(slug: string, query: string, ...args: SqlStorageValue[]): Promise<T[]> {
  return runInDurableObject(stub(slug), (_o, state) => state.storage.sql.exec(query, ...args).toArray() as T[]);
}
