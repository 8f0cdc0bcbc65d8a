/**
 * @module Delivery of magic links and reset/verify tokens: a POST to the
 * tenant's webhook through the outbox, signed `v1=HMAC-SHA256(secret, "{timestamp}.{body}")`,
 * retried with backoff by the alarm while the receiver fails, delivered once when it recovers.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { clock } from "../../src/clock.ts";
import type { TenantCtx } from "../../objects/tenant/context.ts";
import { logMessage, type Message } from "../../objects/tenant/messages.ts";
import { RETRY_BASE_MS } from "../../objects/tenant/outbox.ts";
import { stub } from "../helpers.ts";
import { client, flush, HOOK_SECRET, useMockOutbound, rows, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();

/** What a receiver does, with nothing but WebCrypto: recompute the HMAC over the raw body and compare. */
async function receiverAccepts(secret: string, headers: Headers, body: string): Promise<boolean> {
  const ts = headers.get("warden-timestamp");
  const sig = headers.get("warden-signature");
  if (!ts || !sig?.startsWith("v1=")) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const mac = Uint8Array.from(sig.slice(3).match(/../g)!.map((h) => parseInt(h, 16)));
  return crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(`${ts}.${body}`));
}

it("a failing receiver is retried with backoff; once it recovers the message is delivered exactly once, and its signature verifies", async () => {
  const { t, email } = await tenantWithUser();
  out.receiver = "fail";
  expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
  await flush(t);
  expect(out.attempts).toHaveLength(1);
  expect(out.delivered).toHaveLength(0);
  const [pending] = await rows<{ attempts: number; next_attempt_at: number; last_error: string }>(t, "SELECT attempts, next_attempt_at, last_error FROM outbox WHERE kind = 'webhook'");
  expect(pending.attempts).toBe(1);
  expect(pending.next_attempt_at).toBeGreaterThan(clock.now());
  expect(pending.last_error).toContain("503");

  // Not due yet: nothing is sent.
  out.receiver = "ok";
  await flush(t);
  expect(out.attempts).toHaveLength(1);

  // The alarm retries it once due.
  clock.advance(RETRY_BASE_MS + 1_000);
  expect(await runDurableObjectAlarm(stub(t))).toBe(true);
  await flush(t);
  expect(out.delivered).toHaveLength(1);
  expect(await rows(t, "SELECT id FROM outbox WHERE kind = 'webhook'")).toHaveLength(0);

  const [d] = out.delivered;
  expect(d.headers.get("content-type")).toBe("application/json");
  expect(await receiverAccepts(HOOK_SECRET, d.headers, d.body)).toBe(true);
  expect(await receiverAccepts("some other secret value", d.headers, d.body)).toBe(false);
  expect(await receiverAccepts(HOOK_SECRET, d.headers, d.body.replace(email, "evil@example.com"))).toBe(false);
  expect(Math.abs(Number(d.headers.get("warden-timestamp")) - Date.now() / 1000)).toBeLessThan(60);
  const body = JSON.parse(d.body);
  expect(body).toEqual({ type: "password_reset", tenant: t, email, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_at: expect.any(String) });
  // The delivered token works.
  expect((await client()("POST", `/v1/${t}/password/reset`, { body: { token: body.token, new_password: "a brand new passphrase 2026" } })).status).toBe(204);

  // Nothing more goes out later.
  clock.advance(3_600_000);
  await runDurableObjectAlarm(stub(t));
  await flush(t);
  expect(out.attempts).toHaveLength(2);
  expect(out.delivered).toHaveLength(1);
});

it("without a configured webhook nothing is queued, and the request still answers 202", async () => {
  const { t, email } = await tenantWithUser({ delivery: { webhook_url: null, webhook_secret: null } });
  expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
  await flush(t);
  expect(out.attempts).toHaveLength(0);
  expect(await rows(t, "SELECT id FROM outbox WHERE kind = 'webhook'")).toHaveLength(0);
});

describe("the development log", () => {
  const msg: Message = { type: "magic_link", tenant: "acme", email: "a@example.com", token: "T".repeat(43), expires_at: "2030-01-01T00:00:00.000Z" };
  const ctx = (webhook: boolean) =>
    ({ slug: "acme", issuer: "http://localhost:8787/v1/acme", settings: { delivery: webhook ? { webhook_url: "https://x.test/h", webhook_secret: "s".repeat(16) } : { webhook_url: null, webhook_secret: null } } }) as unknown as TenantCtx;

  it("in development logs the message with the call that uses its token", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    logMessage({ ENVIRONMENT: "development", LOG_LEVEL: "info" }, ctx(false), msg);
    const line = JSON.parse(log.mock.calls[0][0] as string);
    expect(line).toMatchObject({ type: "magic_link", email: "a@example.com", token: msg.token, webhook_url: null });
    expect(line.use).toBe(`curl -X POST http://localhost:8787/v1/acme/magic-link/verify -H 'content-type: application/json' -d '{"token":"${msg.token}"}'`);
  });

  it("the call for a verification link carries the account's session, which it needs", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    logMessage({ ENVIRONMENT: "development", LOG_LEVEL: "info" }, ctx(false), { ...msg, type: "email_change" });
    const line = JSON.parse(log.mock.calls[0][0] as string);
    expect(line.use).toBe(`curl -X POST http://localhost:8787/v1/acme/email/verify -H 'content-type: application/json' -H "authorization: Bearer $ACCESS_TOKEN" -d '{"token":"${msg.token}"}'`);
  });

  it("elsewhere never logs the token, and warns when there is no webhook to deliver to", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    logMessage({ ENVIRONMENT: "production", LOG_LEVEL: "debug" }, ctx(true), msg);
    expect(log).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    logMessage({ ENVIRONMENT: "production", LOG_LEVEL: "debug" }, ctx(false), msg);
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0][0])).not.toContain(msg.token);
  });
});
