/**
 * A user subscriber's credential: the single-use ticket (`POST /events/ticket`, then
 * `?ticket=`), the close at the access token's expiry (4003, "reconnect with a fresh token"),
 * and the in-band renewal that moves it.
 */
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeJwt } from "jose";
import { clock } from "../../src/clock.ts";
import { buildApp } from "../../src/app.ts";
import { BASE, call, expectError, login, newTenant, refresh, rows, signup, stub } from "../helpers.ts";
import { hello, upgrade } from "./ws.ts";

afterEach(() => {
  clock.reset();
  vi.restoreAllMocks();
});

const ticketFor = async (t: string, token: string) => {
  const r = await call("POST", `/v1/${t}/events/ticket`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.headers.get("cache-control")).toBe("no-store");
  return r.body as { ticket: string; expires_in: number };
};

const expSeconds = (token: string) => decodeJwt(token).exp!;

describe("tickets", () => {
  it("POST /events/ticket → {ticket, expires_in: 60}; ?ticket= subscribes as that user and session", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const other = await signup(t);
    const r = await ticketFor(t, u.access_token);
    expect(r).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 60 });
    // stored hashed only
    const stored = await rows<{ hash: string; purpose: string }>(t, "SELECT hash, purpose FROM one_time_tokens WHERE purpose = 'event_ticket'");
    expect(stored).toHaveLength(1);
    expect(stored[0].hash).not.toBe(r.ticket);
    const { sub } = await hello(t, { query: { ticket: r.ticket } });
    const sessions = await call("GET", `/v1/${t}/sessions`, { token: u.access_token });
    expect(sessions.body.sessions.find((s: any) => s.id === u.session_id).online).toBe(true);
    // its own user's events only, and closed with 4001 when its session is revoked
    await call("POST", `/v1/${t}/logout`, { token: other.access_token });
    expect(await sub.quiet(50)).toBeNull();
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(await sub.next()).toMatchObject({ type: "session.revoked", sid: u.session_id });
    expect((await sub.closed).code).toBe(4001);
  });

  it("needs a bearer access token", async () => {
    const t = await newTenant();
    expectError(await call("POST", `/v1/${t}/events/ticket`), 401, "unauthorized");
    expectError(await call("POST", `/v1/${t}/events/ticket`, { token: "nope" }), 401, "invalid_token");
  });

  it("is single use", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { ticket } = await ticketFor(t, u.access_token);
    const { sub } = await hello(t, { query: { ticket } });
    const again = await upgrade(t, { query: { ticket } });
    expect(again.status).toBe(401);
    expect((await again.json<any>()).error.code).toBe("invalid_token");
    sub.close();
  });

  it("expires after 60 seconds", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { ticket } = await ticketFor(t, u.access_token);
    clock.advance(60_000);
    expect((await upgrade(t, { query: { ticket } })).status).toBe(401);
  });

  it("dies with its session, and with a rotation of the user's secret", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { ticket } = await ticketFor(t, u.access_token);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect((await upgrade(t, { query: { ticket } })).status).toBe(401);

    const v = await signup(t);
    const second = (await login(t, v.user.email)).body;
    const { ticket: t2 } = await ticketFor(t, second.access_token);
    await call("POST", `/v1/${t}/logout-all`, { token: v.access_token });
    expect((await upgrade(t, { query: { ticket: t2 } })).status).toBe(401);
  });

  it("a garbage or unknown ticket is refused like a bad token", async () => {
    const t = await newTenant();
    for (const ticket of ["", "x", "A".repeat(43)]) {
      const r = await upgrade(t, { query: { ticket } });
      expect(r.status).toBe(401);
      expect((await r.json<any>()).error.code).toBe("invalid_token");
    }
  });

  it("the request log names the route, never the ticket or the access token", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { ticket } = await ticketFor(t, u.access_token);
    const lines: string[] = [];
    for (const m of ["log", "info", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    const app = buildApp();
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const logEnv = { ...env, LOG_LEVEL: "debug" };
    for (const q of [`ticket=${ticket}`, `access_token=${u.access_token}`]) {
      const res = await app.fetch(new Request(`${BASE}/v1/${t}/events?${q}`, { headers: { Upgrade: "websocket" } }), logEnv, ctx);
      res.webSocket?.accept();
      res.webSocket?.close(1000);
    }
    const ws = lines.filter((l) => l.includes('"msg":"request"'));
    expect(ws).toHaveLength(2);
    for (const l of lines) {
      expect(l).not.toContain(ticket);
      expect(l).not.toContain(u.access_token);
      expect(l).not.toContain(u.access_token.split(".")[2]);
    }
  });
});

describe("expiry and renewal", () => {
  it("closes a user subscriber with 4003 when its access token expires (clock moved, alarm run)", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const byToken = (await hello(t, { token: u.access_token })).sub;
    const byTicket = (await hello(t, { query: { ticket: (await ticketFor(t, u.access_token)).ticket } })).sub;
    const alarmAt = await runInDurableObject(stub(t), (_o, state) => state.storage.getAlarm());
    expect(alarmAt).not.toBeNull();
    expect(alarmAt!).toBeLessThanOrEqual(expSeconds(u.access_token) * 1000);
    // Up to 5 s before the token's own expiry (not "3599 s after now": a loaded machine spends
    // real seconds between the sign-up and this line, and they count too).
    clock.advance(expSeconds(u.access_token) * 1000 - 5_000 - clock.now());
    await runDurableObjectAlarm(stub(t));
    expect(await byToken.quiet(50)).toBeNull();
    expect(byToken.isClosed()).toBe(false);
    clock.advance(6_000);
    await runDurableObjectAlarm(stub(t));
    expect(await byToken.closed).toEqual({ code: 4003, reason: "token expired" });
    expect(await byTicket.closed).toEqual({ code: 4003, reason: "token expired" });
    // "reconnect with a fresh token": the session is alive and a refreshed token subscribes again
    const fresh = await refresh(t, u.refresh_token);
    expect(fresh.status).toBe(200);
    const again = (await hello(t, { token: fresh.body.access_token })).sub;
    expect(again.isClosed()).toBe(false);
    again.close();
  });

  it("service subscribers are not closed by the alarm", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const key = (await call("POST", `/v1/admin/tenants/${t}/api-keys`, { token: "test-admin-token-0123456789abcdef", body: { name: "k", scopes: ["subscribe"] } })).body.key;
    const svc = (await hello(t, { key })).sub;
    const user = (await hello(t, { token: u.access_token })).sub;
    clock.advance(3601_000);
    await runDurableObjectAlarm(stub(t));
    expect((await user.closed).code).toBe(4003);
    expect(await svc.fence()).toEqual([]);
    expect(svc.isClosed()).toBe(false);
    svc.close();
  });

  it("renewal with a fresh access token of the same session moves the expiry", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { sub } = await hello(t, { token: u.access_token });
    clock.advance(1800_000);
    const fresh = (await refresh(t, u.refresh_token)).body;
    sub.ws.send(JSON.stringify({ type: "renew", access_token: fresh.access_token }));
    expect(await sub.next()).toEqual({ type: "renewed", expires_at: new Date(expSeconds(fresh.access_token) * 1000).toISOString() });
    clock.advance(1801_000); // past the first token's exp, before the fresh one's
    await runDurableObjectAlarm(stub(t));
    expect(await sub.fence()).toEqual([]);
    expect(sub.isClosed()).toBe(false);
    clock.advance(1800_000); // past the fresh one's
    await runDurableObjectAlarm(stub(t));
    expect((await sub.closed).code).toBe(4003);
  });

  it("the renewed expiry survives hibernation", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { sub } = await hello(t, { token: u.access_token });
    clock.advance(1800_000);
    const fresh = (await refresh(t, u.refresh_token)).body;
    sub.ws.send(JSON.stringify({ type: "renew", access_token: fresh.access_token }));
    expect((await sub.next()).type).toBe("renewed");
    await evictDurableObject(stub(t), { webSockets: "hibernate" });
    clock.advance(1801_000);
    await runDurableObjectAlarm(stub(t));
    expect(await sub.fence()).toEqual([]);
    clock.advance(1800_000);
    await runDurableObjectAlarm(stub(t));
    expect((await sub.closed).code).toBe(4003);
  });

  it("a renewal with another session's token, a revoked or a bad token is refused and changes nothing", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const other = (await login(t, u.user.email)).body;
    const { sub } = await hello(t, { token: u.access_token });
    const error = { type: "error", error: { code: "invalid_token", message: expect.any(String) } };
    sub.ws.send(JSON.stringify({ type: "renew", access_token: other.access_token }));
    expect(await sub.next()).toEqual(error);
    sub.ws.send(JSON.stringify({ type: "renew", access_token: "garbage" }));
    expect(await sub.next()).toEqual(error);
    sub.ws.send(JSON.stringify({ type: "renew" }));
    expect(await sub.next()).toEqual(error);
    // other junk is still ignored
    sub.ws.send("{not json");
    sub.ws.send(JSON.stringify({ type: "something" }));
    expect(await sub.fence()).toEqual([]);
    clock.advance(3601_000);
    await runDurableObjectAlarm(stub(t));
    expect((await sub.closed).code).toBe(4003);
  });

  it("a service subscriber's renew message is ignored", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const key = (await call("POST", `/v1/admin/tenants/${t}/api-keys`, { token: "test-admin-token-0123456789abcdef", body: { name: "k", scopes: ["subscribe"] } })).body.key;
    const { sub } = await hello(t, { key });
    sub.ws.send(JSON.stringify({ type: "renew", access_token: u.access_token }));
    expect(await sub.fence()).toEqual([]);
    sub.close();
  });
});
