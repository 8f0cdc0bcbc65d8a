/**
 * @module Signing every user of a tenant out (`POST …/sessions/revoke`, ASVS 5.0 V7.4.5): every
 * session, refresh token and user grant ends in one transaction, one `tenant.revoked` event
 * reaches every subscriber, user subscribers close with 4001, machine grants live on, and users
 * sign in again at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clock } from "../../src/clock.ts";
import { apiKey, call, count, eventually, expectError, introspect, newTenant, refresh, rows, signup } from "../helpers.ts";
import { codeFor, expectOAuthError, newClient, redeem, tokenRequest } from "../oauth/kit.ts";
import { hello } from "../realtime/ws.ts";
import { expectLogin, login, operator } from "./helpers.ts";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const RP = "https://rp.example/backchannel";
let logoutTokens = 0;

beforeEach(() => {
  logoutTokens = 0;
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (req.url !== RP) return real(input, init);
    logoutTokens++;
    return new Response(null, { status: 200 });
  });
});
afterEach(() => {
  clock.reset();
  vi.restoreAllMocks();
});

describe("POST /v1/admin/tenants/{tenant}/sessions/revoke", () => {
  it("7.4.5 ends every session of every user: tokens inactive, refresh refused, one tenant.revoked event, accounts kept", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect", "subscribe"]);
    const a = await signup(t, { email: "ann@example.com" });
    const b = await signup(t, { email: "ben@example.com" });
    const a2 = (await login(t, "ann@example.com")).body;
    const { sub: service } = await hello(t, { key });

    const r = await operator(t)("POST", "/sessions/revoke");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ sessions: 3 });
    expect(r.headers.get("cache-control")).toBe("no-store");

    for (const s of [a, b, a2]) {
      expect((await introspect(t, key, s.access_token)).active).toBe(false);
      expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
      expectError(await call("GET", `/v1/${t}/me`, { token: s.access_token }), 401, "invalid_token");
    }
    // One event for the lot, on the socket before the call returned.
    expect(service.drain()).toEqual([{ seq: 1, type: "tenant.revoked", ts: expect.stringMatching(ISO), tenant: t, sub: t, reason: "admin_revoked" }]);
    expect(await count(t, "sessions", "revoked_at IS NULL")).toBe(0);
    expect(await count(t, "sessions", "revoke_reason = 'admin_revoked'")).toBe(3);
    expect(await count(t, "refresh_chains")).toBe(0);

    const audit = await operator(t)("GET", "/audit?type=tenant.revoked");
    expect(audit.body.entries).toMatchObject([{ type: "tenant.revoked", actor: "admin", user_id: null, data: { sessions: 3 } }]);

    // Nothing else changed: both sign in again at once, and the new session is live.
    const again = await expectLogin(t, "ann@example.com");
    expect((await introspect(t, key, again.access_token)).active).toBe(true);
    await expectLogin(t, "ben@example.com");
    // A second call ends only what began since.
    expect((await operator(t)("POST", "/sessions/revoke")).body).toEqual({ sessions: 2 });
    service.close();
  });

  it("7.4.5 closes every user subscriber with 4001 after the event; a service subscriber stays", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["subscribe"]);
    const a = await signup(t);
    const b = await signup(t);
    const { sub: service } = await hello(t, { key });
    const { sub: ofA } = await hello(t, { token: a.access_token });
    const { sub: ofB } = await hello(t, { token: b.access_token });
    expect((await operator(t)("POST", "/sessions/revoke")).status).toBe(200);
    for (const s of [ofA, ofB]) {
      expect(await s.next()).toMatchObject({ type: "tenant.revoked", sub: t });
      expect(await s.closed).toEqual({ code: 4001, reason: "tenant.revoked" });
    }
    expect(await service.fence()).toEqual([expect.objectContaining({ type: "tenant.revoked" })]);
    expect(service.isClosed()).toBe(false);
    service.close();
  });

  it("a session begun after the event outlives its replay: a user subscriber resuming from before it is not closed", async () => {
    const t = await newTenant();
    await signup(t, { email: "cat@example.com" });
    expect((await operator(t)("POST", "/sessions/revoke")).body).toEqual({ sessions: 1 });
    const fresh = await expectLogin(t, "cat@example.com");
    const { sub } = await hello(t, { token: fresh.access_token, since: 0 });
    expect(await sub.next()).toMatchObject({ seq: 1, type: "tenant.revoked" });
    expect(await sub.fence()).toEqual([]);
    expect(sub.isClosed()).toBe(false);
    sub.close();
  });

  it("ends users' OAuth grants, with back-channel logout, and leaves machine grants alone", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const web = await newClient(t, { backchannel_logout_uri: RP });
    const machine = await newClient(t, { grant_types: ["client_credentials"], redirect_uris: [], scope: "reports:read" });
    const { code, verifier } = await codeFor(t, web.client_id);
    const user = await redeem(t, web, code, verifier);
    expect(user.status, JSON.stringify(user.body)).toBe(200);
    const m = await tokenRequest(t, machine, { grant_type: "client_credentials", scope: "reports:read" });
    expect(m.status, JSON.stringify(m.body)).toBe(200);

    expect((await operator(t)("POST", "/sessions/revoke")).body).toEqual({ sessions: 1 });
    expect((await introspect(t, key, user.body.access_token)).active).toBe(false);
    expectOAuthError(await tokenRequest(t, web, { grant_type: "refresh_token", refresh_token: user.body.refresh_token }), 400, "invalid_grant");
    await eventually(async () => logoutTokens === 1);
    expect((await introspect(t, key, m.body.access_token)).active).toBe(true);
    expect(await count(t, "grants", "revoked_at IS NULL")).toBe(1);
  });

  it("counts live sessions only: one past its expiry that the alarm has not swept yet is left to end as expired", async () => {
    const t = await newTenant();
    const old = await signup(t);
    clock.advance(8 * 86_400_000); // past the 7-day idle expiry; no alarm run
    const live = await signup(t);
    expect((await operator(t)("POST", "/sessions/revoke")).body).toEqual({ sessions: 1 });
    const reasons = await rows<{ id: string; revoke_reason: string | null }>(t, "SELECT id, revoke_reason FROM sessions ORDER BY created_at");
    expect(reasons).toEqual([{ id: old.session_id, revoke_reason: null }, { id: live.session_id, revoke_reason: "admin_revoked" }]);
  });

  it("a manage key of the tenant may; another key or no credential is refused and changes nothing", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const introspectKey = await apiKey(t, ["introspect"]);
    expectError(await operator(t, introspectKey)("POST", "/sessions/revoke"), 403, "forbidden");
    expectError(await call("POST", `/v1/${t}/admin/sessions/revoke`), 401, "unauthorized");
    expect((await introspect(t, introspectKey, s.access_token)).active).toBe(true);
    expect(await count(t, "events")).toBe(0);

    const r = await operator(t, await apiKey(t, ["manage"]))("POST", "/sessions/revoke");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ sessions: 1 });
    expect((await introspect(t, introspectKey, s.access_token)).active).toBe(false);
    const audit = await operator(t)("GET", "/audit?type=tenant.revoked");
    expect(audit.body.entries[0].actor).toMatch(/^key:/);
  });
});
