/** @module POST /v1/{tenant}/refresh: rotation, the reuse grace, reuse detection, absolute and idle expiry. */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { apiKey, call, count, expectError, introspect, login, newTenant, refresh, rows, signup, snapshot, stub, tenantWith } from "../helpers.ts";

afterEach(() => clock.reset());

const me = (t: string, token: string) => call("GET", `/v1/${t}/me`, { token });

describe("refresh", () => {
  // ASVS 7.2.2
  it("rotates: a new token pair for the same session, the old refresh token is spent", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(r.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "session_id", "token_type", "user"]);
    expect(r.body.session_id).toBe(s.session_id);
    expect(r.body.refresh_token).not.toBe(s.refresh_token);
    expect(r.body.user.id).toBe(s.user.id);
    expect((await me(t, r.body.access_token)).status).toBe(200);
    const key = await apiKey(t);
    expect((await introspect(t, key, s.refresh_token)).active).toBe(false);
    expect(await introspect(t, key, r.body.refresh_token)).toMatchObject({ active: true, token_type: "refresh_token", sid: s.session_id });
  });

  it("the rotated token used again within the grace gets the same successor and a fresh access token; both access tokens work", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const winner = await refresh(t, s.refresh_token);
    clock.advance(5_000);
    const again = await refresh(t, s.refresh_token);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.session_id).toBe(s.session_id);
    expect(again.body.refresh_token).toBe(winner.body.refresh_token);
    expect((await me(t, winner.body.access_token)).status).toBe(200);
    expect((await me(t, again.body.access_token)).status).toBe(200);
    expect((await refresh(t, winner.body.refresh_token)).status).toBe(200);
    expect(await rows(t, "SELECT data FROM audit_log WHERE type = 'refresh' ORDER BY id")).toEqual([{ data: "{}" }, { data: '{"grace":true}' }, { data: "{}" }]);
  });

  it("the rotated token used after the grace is reuse: the session is revoked, its tokens are dead, and the event says why", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    const winner = await refresh(t, s.refresh_token);
    clock.advance(11_000);
    const reuse = await refresh(t, s.refresh_token);
    expectError(reuse, 401, "invalid_token");
    expect((await introspect(t, key, winner.body.access_token)).active).toBe(false);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await refresh(t, winner.body.refresh_token), 401, "invalid_token");
    expectError(await me(t, winner.body.access_token), 401, "invalid_token");
    const [session] = await rows(t, "SELECT revoke_reason FROM sessions WHERE id = ?", s.session_id);
    expect(session.revoke_reason).toBe("refresh_reuse");
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events");
    expect(events.map((e) => ({ type: e.type, ...JSON.parse(e.payload) }))).toEqual([
      expect.objectContaining({ type: "session.revoked", sid: s.session_id, sub: s.user.id, reason: "refresh_reuse" }),
    ]);
    expect(await rows(t, "SELECT type FROM audit_log WHERE type = 'refresh.reuse'")).toHaveLength(1);
  });

  it("reuse of a token rotated two generations ago is also detected", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const a = await refresh(t, s.refresh_token);
    clock.advance(11_000);
    const b = await refresh(t, a.body.refresh_token);
    expect(b.status).toBe(200);
    clock.advance(11_000);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expectError(await refresh(t, b.body.refresh_token), 401, "invalid_token");
  });

  it("concurrent refreshes of many sessions share the object's write turn and each rotates its own chain", async () => {
    const t = await newTenant();
    const users = await Promise.all(Array.from({ length: 12 }, () => signup(t)));
    // Callers that ask before the turn comes get the same one; after it, a new one.
    const [same, next] = await runInDurableObject(stub(t), async (o) => {
      const a = o.writeTurn();
      const b = o.writeTurn();
      await a;
      return [a === b, o.writeTurn() !== a];
    });
    expect(same).toBe(true);
    expect(next).toBe(true);
    const first = await Promise.all(users.map((u) => refresh(t, u.refresh_token)));
    for (const [i, r] of first.entries()) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.session_id).toBe(users[i].session_id);
    }
    // Every new token is its session's current one; every old one is spent.
    const second = await Promise.all(first.map((r) => refresh(t, r.body.refresh_token)));
    expect(second.map((r) => r.status)).toEqual(users.map(() => 200));
    expect(await count(t, "audit_log", "type = 'refresh'")).toBe(24);
  });

  it("reuse only revokes its own session", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const other = await login(t, s.user.email);
    await refresh(t, s.refresh_token);
    clock.advance(11_000);
    await refresh(t, s.refresh_token);
    expect((await me(t, other.body.access_token)).status).toBe(200);
    expect((await refresh(t, other.body.refresh_token)).status).toBe(200);
  });

  // ASVS 7.3.2
  it("ends at the absolute expiry (refresh_ttl_s), even when refreshed all along", async () => {
    const t = await tenantWith({ refresh_ttl_s: 600, refresh_idle_ttl_s: 400 });
    const s = await signup(t);
    clock.advance(350_000);
    const r1 = await refresh(t, s.refresh_token);
    expect(r1.status).toBe(200);
    clock.advance(200_000);
    const r2 = await refresh(t, r1.body.refresh_token);
    expect(r2.status).toBe(200);
    clock.advance(60_000); // 610 s after login
    expectError(await refresh(t, r2.body.refresh_token), 401, "invalid_token");
  });

  // ASVS 7.3.1
  it("ends after refresh_idle_ttl_s without a refresh", async () => {
    const t = await tenantWith({ refresh_idle_ttl_s: 300 });
    const s = await signup(t);
    clock.advance(299_000);
    const r1 = await refresh(t, s.refresh_token);
    expect(r1.status).toBe(200);
    clock.advance(299_000);
    const r2 = await refresh(t, r1.body.refresh_token);
    expect(r2.status).toBe(200);
    clock.advance(301_000);
    expectError(await refresh(t, r2.body.refresh_token), 401, "invalid_token");
  });

  it.each([
    ["an unknown token of the right shape", `${"A".repeat(22)}.${"B".repeat(43)}`],
    ["a malformed token", "not-a-refresh-token"],
    ["an access token", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.AAAA"],
  ])("%s is 401 invalid_token", async (_what, token) => {
    const t = await newTenant();
    await signup(t);
    const before = await snapshot(t);
    expectError(await refresh(t, token), 401, "invalid_token");
    expect(await snapshot(t)).toEqual(before);
  });

  it("a real session id with a forged secret is 401 invalid_token and does not revoke the session", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expectError(await refresh(t, `${s.session_id}.${"C".repeat(43)}`), 401, "invalid_token");
    expect((await refresh(t, s.refresh_token)).status).toBe(200);
  });

  it("accepts a form-encoded body", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await call("POST", `/v1/${t}/refresh`, { raw: new URLSearchParams({ refresh_token: s.refresh_token }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.session_id).toBe(s.session_id);
  });

  it("a disabled user's refresh token is refused", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await rows(t, "UPDATE users SET status = 'disabled' WHERE id = ?", s.user.id);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
  });

  it("the access token from a refresh carries the session's amr and the current ver", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    const claims = JSON.parse(atob(r.body.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims).toMatchObject({ sid: s.session_id, sub: s.user.id, ver: 1, amr: ["pwd"] });
  });
});
