/**
 * The client library against the real Worker in workerd: local verification, pushed
 * revocations applied at once, resume with `since`, `reset`, and the fallback while
 * disconnected.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { ADMIN, admin, apiKey, call, newTenant, PASSWORD, signup, stub } from "../helpers.ts";
import { emit } from "../realtime/emit.ts";
import { harness, until } from "./harness.ts";

afterEach(() => clock.reset());

const login = async (t: string, email: string) => (await call("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).body;

describe("local verification", () => {
  it("accepts a live token locally, with its claims, without calling Warden per token", async () => {
    const t = await newTenant();
    const { v, requests } = harness(t, await apiKey(t));
    await v.ready;
    const u = await signup(t);
    const r = await v.verify(u.access_token);
    expect(r).toEqual({ active: true, via: "local", claims: expect.objectContaining({ sub: u.user.id, sid: u.session_id, tid: t, ver: 1, aud: t }) });
    await v.verify(u.access_token);
    expect(requests.filter((q) => q.includes("introspect"))).toEqual([]);
    expect(requests.filter((q) => q.includes("jwks"))).toHaveLength(1);
    v.close();
  });

  // ASVS 6.8.2, 9.1.1, 9.2.3
  it("rejects garbage, forged, foreign, wrong-audience and expired tokens", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const odd = await newTenant({ audience: "api.example" });
    const { v } = harness(t, await apiKey(t));
    await v.ready;
    const u = await signup(t);
    expect(await v.verify("nope")).toEqual({ active: false, reason: "invalid" });
    expect(await v.verify(`${u.access_token.slice(0, -3)}AAA`)).toEqual({ active: false, reason: "invalid" });
    expect(await v.verify((await signup(other)).access_token)).toEqual({ active: false, reason: "invalid" });
    expect(await v.verify((await signup(odd)).access_token)).toEqual({ active: false, reason: "invalid" });
    clock.advance(3601_000);
    expect(await v.verify(u.access_token)).toEqual({ active: false, reason: "expired" });
    v.close();
  });

  it("verifies ES256 tenants locally, and follows a signing-key rotation", async () => {
    const t = await newTenant({ token_alg: "ES256" });
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    const before = await signup(t);
    expect((await h.v.verify(before.access_token)).active).toBe(true);
    await admin("POST", `/tenants/${t}/signing-keys/rotate`);
    const after = await signup(t);
    expect(await h.v.verify(after.access_token)).toMatchObject({ active: true, via: "local" });
    expect(await h.v.verify(before.access_token)).toMatchObject({ active: true, via: "local" }); // retired keys stay published
    h.v.close();
  });

  it("sends shared-secret (HS256) tokens to introspection when configured for HS256: there is no public key", async () => {
    const t = await newTenant({ token_alg: "HS256" });
    const h = harness(t, await apiKey(t), { algorithms: ["HS256"] });
    await h.v.ready;
    const u = await signup(t);
    expect(await h.v.verify(u.access_token)).toMatchObject({ active: true, via: "introspection", claims: { sub: u.user.id } });
    h.v.close();
  });

  it("ready rejects when the API key is refused", async () => {
    const t = await newTenant();
    const bad = harness(t, await apiKey(t, ["introspect"]));
    await expect(bad.v.ready).rejects.toMatchObject({ code: "subscribe_refused", status: 403 });
    bad.v.close();
    const worse = harness(t, "wk_nope");
    await expect(worse.v.ready).rejects.toMatchObject({ status: 401 });
    worse.v.close();
  });
});

describe("pushed revocations", () => {
  // ASVS 7.2.1
  it("rejects a token right after the logout call returns", async () => {
    const t = await newTenant();
    const { v } = harness(t, await apiKey(t));
    await v.ready;
    const u = await signup(t);
    expect(await v.verify(u.access_token)).toMatchObject({ active: true, via: "local" });
    expect((await call("POST", `/v1/${t}/logout`, { token: u.access_token })).status).toBe(204);
    // No sleep, no fence: Warden sent the event before it answered, and in workerd the frame
    // is handled before the response resolves when calls are sequential (the test below shows
    // what holds under concurrency).
    expect(await v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
    v.close();
  });

  it("under concurrent revocations, each token is rejected once its socket has delivered what was sent before the response", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    const users = await Promise.all(Array.from({ length: 5 }, () => signup(t)));
    await Promise.all(
      users.map(async (u) => {
        await call("POST", `/v1/${t}/logout`, { token: u.access_token });
        await h.fence(); // no timer: `pong` is queued behind the event
        expect(await h.v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
      }),
    );
    h.v.close();
  });

  it("logout-all: every token with the older ver is rejected; a new login's token is not", async () => {
    const t = await newTenant();
    const { v } = harness(t, await apiKey(t));
    await v.ready;
    const u = await signup(t);
    const other = await login(t, u.user.email);
    await call("POST", `/v1/${t}/logout-all`, { token: other.access_token });
    expect(await v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
    expect(await v.verify(other.access_token)).toEqual({ active: false, reason: "revoked" });
    const fresh = await login(t, u.user.email);
    expect(await v.verify(fresh.access_token)).toMatchObject({ active: true, via: "local", claims: { ver: 2 } });
    expect(v.stats()).toMatchObject({ users: 1, sessions: 0 });
    v.close();
  });

  it("7.4.5 every user signed out (tenant.revoked): every older user token is rejected locally; later sign-ins are not", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    const a = await signup(t);
    const b = await signup(t);
    expect(await h.v.verify(a.access_token)).toMatchObject({ active: true, via: "local" });
    clock.advance(1000); // the event lands in a later second than the tokens' iat
    expect((await admin("POST", `/tenants/${t}/sessions/revoke`)).body).toEqual({ sessions: 2 });
    await h.fence();
    expect(await h.v.verify(a.access_token)).toEqual({ active: false, reason: "revoked" });
    expect(await h.v.verify(b.access_token)).toEqual({ active: false, reason: "revoked" });
    expect(h.v.stats()).toMatchObject({ users: 0, sessions: 0, tenantRevokedAt: expect.any(Number) });
    // A sign-in in the event's own second is asked about (introspection), a later one is local.
    expect(await h.v.verify((await login(t, a.user.email)).access_token)).toMatchObject({ active: true });
    clock.advance(1000);
    expect(await h.v.verify((await login(t, b.user.email)).access_token)).toMatchObject({ active: true, via: "local" });
    h.v.close();
  });

  it("a credential change (PATCH /me) kills the old tokens of every session", async () => {
    const t = await newTenant();
    const { v } = harness(t, await apiKey(t));
    await v.ready;
    const u = await signup(t);
    const r = await call("PATCH", `/v1/${t}/me`, { token: u.access_token, body: { current_password: PASSWORD, metadata: {}, new_username: "renamed" } });
    expect(r.status).toBe(200);
    expect(await v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
    expect(await v.verify(r.body.access_token)).toMatchObject({ active: true, via: "local" });
    v.close();
  });

  it("user.disabled and user.deleted carry the new ver", async () => {
    const t = await newTenant();
    const { v } = harness(t, await apiKey(t));
    await v.ready;
    const a = await signup(t);
    const b = await signup(t);
    await emit(t, [{ type: "user.disabled", sub: a.user.id, ver: 2 }, { type: "user.deleted", sub: b.user.id, ver: 2 }]);
    expect(await v.verify(a.access_token)).toEqual({ active: false, reason: "revoked" });
    expect(await v.verify(b.access_token)).toEqual({ active: false, reason: "revoked" });
    v.close();
  });

  it("learns revocations made before it started (the first connection replays the log)", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    expect(h.urls[0]).toMatch(/\/events\?since=0$/);
    expect(await h.v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
    h.v.close();
  });

  it("uses the ADMIN_TOKEN as a subscriber too (introspection needs a tenant key)", async () => {
    const t = await newTenant();
    const { v } = harness(t, ADMIN);
    await v.ready;
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(await v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
    v.close();
  });
});

describe("memory", () => {
  it("prunes revocations once every token they concern has expired", async () => {
    const t = await newTenant();
    let now = Date.now();
    const fake = { now: () => now };
    const { v } = harness(t, await apiKey(t), { clock: fake });
    await v.ready;
    const users = await Promise.all(Array.from({ length: 4 }, () => signup(t)));
    for (const u of users.slice(0, 3)) await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    await call("POST", `/v1/${t}/logout-all`, { token: users[3].access_token });
    expect(v.stats()).toMatchObject({ sessions: 3, users: 1 });
    now += 3600_000; // the longest access TTL: the revoked tokens are not all expired yet (leeway)
    await v.verify(users[0].access_token);
    expect(v.stats()).toMatchObject({ sessions: 3, users: 1 });
    now += 61_000 + 60_000; // past TTL + leeway, and past the pruning interval
    expect(await v.verify(users[0].access_token)).toEqual({ active: false, reason: "expired" });
    expect(v.stats()).toMatchObject({ sessions: 0, users: 0 });
    v.close();
  });

  it("stays within maxEntries, and treats the tokens of dropped entries as uncertain (introspected)", async () => {
    const t = await newTenant();
    const { v, requests } = harness(t, await apiKey(t), { maxEntries: 2 });
    await v.ready;
    const users = await Promise.all(Array.from({ length: 4 }, () => signup(t)));
    for (const u of users.slice(0, 3)) await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(v.stats()).toMatchObject({ sessions: 2 });
    // users[0]'s entry was dropped: its token is no longer known revoked, so it is introspected
    expect(await v.verify(users[0].access_token)).toEqual({ active: false, reason: "inactive" });
    expect(requests.filter((q) => q.includes("introspect"))).toHaveLength(1);
    expect(await v.verify(users[1].access_token)).toEqual({ active: false, reason: "revoked" });
    // so is any token issued before the dropped event
    expect(await v.verify(users[3].access_token)).toMatchObject({ active: true, via: "introspection" });
    // tokens issued a full second after the dropped event (iat has second precision) are verified locally
    clock.advance(2000);
    const later = await signup(t);
    expect(await v.verify(later.access_token)).toMatchObject({ active: true, via: "local" });
    v.close();
  });
});

describe("disconnected", () => {
  it("resumes with since after a drop and applies what happened meanwhile", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t), { onDisconnect: "reject" });
    await h.v.ready;
    const u = await signup(t);
    await emit(t, [{ type: "session.revoked", sub: "x", sid: "y" }]);
    h.outage(true);
    h.sockets[0].close(1000, "test drop");
    await until(() => !h.v.stats().live);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token }); // seq 2, while down
    h.outage(false);
    await until(() => h.v.stats().live);
    expect(h.urls.at(-1)).toMatch(/\/events\?since=1$/);
    expect(h.v.stats().cursor).toBe(2);
    expect(await h.v.verify(u.access_token)).toEqual({ active: false, reason: "revoked" });
    h.v.close();
  });

  it("introspects while disconnected (default)", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    const a = await signup(t);
    const b = await signup(t);
    h.outage(true);
    h.sockets[0].close(1000, "test drop");
    await until(() => !h.v.stats().live);
    await call("POST", `/v1/${t}/logout`, { token: a.access_token });
    expect(await h.v.verify(a.access_token)).toEqual({ active: false, reason: "inactive" });
    expect(await h.v.verify(b.access_token)).toMatchObject({ active: true, via: "introspection", claims: { sub: b.user.id } });
    expect(h.requests.filter((q) => q === `POST /v1/${t}/introspect`)).toHaveLength(2);
    h.v.close();
  });

  it("fails closed with onDisconnect: reject, open with accept", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    const u = await signup(t);
    const closed = harness(t, key, { onDisconnect: "reject" });
    const open = harness(t, key, { onDisconnect: "accept" });
    for (const h of [closed, open]) {
      await h.v.ready;
      h.outage(true);
      h.sockets[0].close(1000, "test drop");
      await until(() => !h.v.stats().live);
    }
    expect(await closed.v.verify(u.access_token)).toEqual({ active: false, reason: "unavailable" });
    expect(await open.v.verify(u.access_token)).toMatchObject({ active: true, via: "local" });
    expect(await open.v.verify("garbage")).toEqual({ active: false, reason: "invalid" });
    closed.v.close();
    open.v.close();
  });

  it("rejects when introspection itself is unavailable (default mode fails closed)", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t, ["subscribe"])); // no introspect scope: 403
    await h.v.ready;
    const u = await signup(t);
    h.outage(true);
    h.sockets[0].close(1000, "test drop");
    await until(() => !h.v.stats().live);
    expect(await h.v.verify(u.access_token)).toEqual({ active: false, reason: "unavailable" });
    h.v.close();
  });

  it("before the first connection is live, tokens are introspected", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const h = harness(t, await apiKey(t), {}, { down: true });
    expect(await h.v.verify(u.access_token)).toMatchObject({ active: true, via: "introspection" });
    expect(h.v.stats().live).toBe(false);
    h.v.close();
  });
});

describe("reset", () => {
  it("after a reset, tokens issued before it are introspected until they have all expired", async () => {
    const t = await newTenant({ retention: { events_hours: 1 } });
    await emit(t, [1, 2, 3].map((i) => ({ type: "session.revoked" as const, sub: "x", sid: `s${i}` })));
    clock.advance(2 * 3_600_000);
    await emit(t, [{ type: "session.revoked", sub: "x", sid: "s4" }]);
    await runDurableObjectAlarm(stub(t)); // trims 1..3: since=0 cannot be served
    const old = await signup(t);
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    expect(h.v.stats().unknownBefore).not.toBeNull();
    expect(await h.v.verify(old.access_token)).toMatchObject({ active: true, via: "introspection" });
    clock.advance(2000); // iat has second precision
    const fresh = await signup(t);
    expect(await h.v.verify(fresh.access_token)).toMatchObject({ active: true, via: "local" });
    h.v.close();
  });
});
