/**
 * Revocation subscribers: who receives what, when sockets close, and the
 * consistency guarantee (c): the event is on the socket before the revoking call returns.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, admin, apiKey, call, newTenant, signup } from "../helpers.ts";
import { emit } from "./emit.ts";
import { hello } from "./ws.ts";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("hello and event shapes", () => {
  it("a service subscriber gets hello {type, tenant, seq, server_time}", async () => {
    const t = await newTenant();
    const { sub, hello: h } = await hello(t, { key: await apiKey(t, ["subscribe"]) });
    expect(h).toEqual({ type: "hello", tenant: t, seq: 0, server_time: expect.stringMatching(ISO) });
    expect(Math.abs(Date.parse(h.server_time) - Date.now())).toBeLessThan(60_000);
    sub.close();
  });

  it("hello carries the latest seq of the log", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const { sub, hello: h } = await hello(t, { key: await apiKey(t) });
    expect(h.seq).toBe(1);
    sub.close();
  });

  it("session.revoked is {seq, type, ts, tenant, sub, sid, reason}", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t) });
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(await sub.next()).toEqual({ seq: 1, type: "session.revoked", ts: expect.stringMatching(ISO), tenant: t, sub: u.user.id, sid: u.session_id, reason: "logout" });
    sub.close();
  });

  it("user.revoked (logout-all) carries the new ver and no sid", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t) });
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: u.access_token });
    const e = await sub.next();
    expect(e).toEqual({ seq: 1, type: "user.revoked", ts: expect.stringMatching(ISO), tenant: t, sub: u.user.id, ver: 2, reason: "logout_all" });
    expect(e).not.toHaveProperty("sid");
    sub.close();
  });
});

describe("who receives what", () => {
  it("a service subscriber receives every event of the tenant, in seq order", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t) });
    const a = await signup(t);
    const b = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: a.access_token });
    await call("POST", `/v1/${t}/logout-all`, { token: b.access_token });
    const got = [await sub.next(), await sub.next()];
    expect(got.map((e) => [e.seq, e.type, e.sub])).toEqual([
      [1, "session.revoked", a.user.id],
      [2, "user.revoked", b.user.id],
    ]);
    sub.close();
  });

  it("a user subscriber receives only events about its own user", async () => {
    const t = await newTenant();
    const a = await signup(t);
    const b = await signup(t);
    const a2 = await call("POST", `/v1/${t}/login`, { body: { login: a.user.email, password: "correct horse battery staple" } });
    const { sub: ua } = await hello(t, { token: a.access_token });
    const { sub: ub } = await hello(t, { token: b.access_token });
    // a's other session ends; an event about some other session of b's; a tenant-wide event
    await call("POST", `/v1/${t}/logout`, { token: a2.body.access_token });
    await emit(t, [{ type: "session.revoked", sub: b.user.id, sid: "not-bs-socket-session" }]);
    await emit(t, [{ type: "key.rotated", sub: t }]);
    const ea = await ua.next();
    expect(ea).toMatchObject({ seq: 1, type: "session.revoked", sub: a.user.id, sid: a2.body.session_id });
    const eb = await ub.next();
    expect(eb).toMatchObject({ seq: 2, sub: b.user.id });
    // neither sees the other's event nor the tenant-wide key rotation, and neither socket closed
    expect(await ua.quiet(100)).toBeNull();
    expect(await ub.quiet(10)).toBeNull();
    expect(ua.isClosed() || ub.isClosed()).toBe(false);
    ua.close();
    ub.close();
  });

  it("the ADMIN_TOKEN subscribes as a service", async () => {
    const t = await newTenant();
    const { sub, hello: h } = await hello(t, { key: ADMIN });
    expect(h.tenant).toBe(t);
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(await sub.next()).toMatchObject({ type: "session.revoked", sub: u.user.id });
    const stats = await admin("GET", `/tenants/${t}`);
    expect(stats.body.stats.subscribers).toEqual({ service: 1, user: 0 });
    sub.close();
  });

  it("a client cannot pick its connection id (`_pk`) to join another tag", async () => {
    const t = await newTenant();
    const victim = await signup(t);
    const eve = await signup(t);
    const tricks = ["service", `user:${victim.user.id}`, `sid:${victim.session_id}`];
    const subs = await Promise.all(tricks.map((_pk) => hello(t, { token: eve.access_token, query: { _pk } }).then((h) => h.sub)));
    const sessions = await call("GET", `/v1/${t}/sessions`, { token: victim.access_token });
    expect(sessions.body.sessions[0].online).toBe(false);
    await call("POST", `/v1/${t}/logout`, { token: victim.access_token });
    for (const s of subs) expect(s.drain()).toEqual([]);
    expect((await admin("GET", `/tenants/${t}`)).body.stats.subscribers).toEqual({ service: 0, user: 3 });
    subs.forEach((s) => s.close());
  });
});

describe("closing", () => {
  it("logout: the user subscriber of that session gets the event, then close 4001", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { sub } = await hello(t, { token: u.access_token });
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(await sub.next()).toMatchObject({ type: "session.revoked", sid: u.session_id });
    expect(await sub.closed).toEqual({ code: 4001, reason: "session.revoked" });
  });

  it("logout-all closes every user subscriber of the user with 4001, after user.revoked", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const other = await call("POST", `/v1/${t}/login`, { body: { login: u.user.email, password: "correct horse battery staple" } });
    const s1 = (await hello(t, { token: u.access_token })).sub;
    const s2 = (await hello(t, { token: other.body.access_token })).sub;
    await call("POST", `/v1/${t}/logout-all`, { token: other.body.access_token });
    for (const s of [s1, s2]) {
      expect(await s.next()).toMatchObject({ type: "user.revoked", ver: 2 });
      expect((await s.closed).code).toBe(4001);
    }
  });

  it("revoking another of my sessions closes only that session's subscriber", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const other = await call("POST", `/v1/${t}/login`, { body: { login: u.user.email, password: "correct horse battery staple" } });
    const mine = (await hello(t, { token: u.access_token })).sub;
    const theirs = (await hello(t, { token: other.body.access_token })).sub;
    expect((await call("DELETE", `/v1/${t}/sessions/${other.body.session_id}`, { token: u.access_token })).status).toBe(204);
    expect(await theirs.next()).toMatchObject({ type: "session.revoked", sid: other.body.session_id, reason: "user_revoked" });
    expect((await theirs.closed).code).toBe(4001);
    // the same user's other socket hears about it but stays open
    expect(await mine.next()).toMatchObject({ type: "session.revoked", sid: other.body.session_id });
    expect(await mine.quiet(50)).toBeNull();
    expect(mine.isClosed()).toBe(false);
    mine.close();
  });

  it("revoking the API key closes its service subscriber with 4001", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["subscribe"]);
    const { sub } = await hello(t, { key });
    const id = /^wk_([0-9a-f]{16})\./.exec(key)![1];
    expect((await admin("DELETE", `/tenants/${t}/api-keys/${id}`)).status).toBeLessThan(300);
    expect((await sub.closed).code).toBe(4001);
  });
});

describe("online sessions", () => {
  it("GET /sessions shows online: true while a user subscriber of that session is connected", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const other = await call("POST", `/v1/${t}/login`, { body: { login: u.user.email, password: "correct horse battery staple" } });
    const online = async () => Object.fromEntries((await call("GET", `/v1/${t}/sessions`, { token: u.access_token })).body.sessions.map((s: any) => [s.id, s.online]));
    expect(await online()).toEqual({ [u.session_id]: false, [other.body.session_id]: false });
    const { sub } = await hello(t, { token: other.body.access_token });
    expect(await online()).toEqual({ [u.session_id]: false, [other.body.session_id]: true });
    // a service subscriber makes no session online
    const svc = (await hello(t, { key: await apiKey(t) })).sub;
    sub.close();
    await sub.closed;
    expect(await online()).toEqual({ [u.session_id]: false, [other.body.session_id]: false });
    svc.close();
  });
});

/**
 * The object sends the event before it returns the revoking call's result. What a test can
 * observe is the client side, where the WebSocket frame and the HTTP response travel on
 * different channels: workerd usually dispatches the frame first, but under concurrency the
 * response can overtake it by a few milliseconds. So the check is a fence on the socket itself:
 * after the response, `ping`; the runtime's `pong` is written behind everything the object had
 * already sent, so the event must come before it. No sleeping, no timing.
 */
describe("consistency guarantee (c)", () => {
  it("the event is on every connected socket by the time the logout response arrives", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const svc = (await hello(t, { key: await apiKey(t) })).sub;
    const own = (await hello(t, { token: u.access_token })).sub;
    const r = await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect(r.status).toBe(204);
    expect(await svc.fence()).toEqual([expect.objectContaining({ type: "session.revoked", sid: u.session_id })]);
    // the user's own socket: the event, then the 4001 close (no pong: the socket is closed)
    expect(await own.next()).toMatchObject({ type: "session.revoked", sid: u.session_id });
    expect((await own.closed).code).toBe(4001);
    svc.close();
  });

  it("holds for logout-all and for RFC 7009 revocation too", async () => {
    const t = await newTenant();
    const svc = (await hello(t, { key: await apiKey(t) })).sub;
    const a = await signup(t);
    const b = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: a.access_token });
    expect(await svc.fence()).toEqual([expect.objectContaining({ type: "user.revoked", sub: a.user.id })]);
    await call("POST", `/v1/${t}/revoke`, { body: { token: b.refresh_token } });
    expect(await svc.fence()).toEqual([expect.objectContaining({ type: "session.revoked", sid: b.session_id, reason: "revoked" })]);
    svc.close();
  });

  it("holds under concurrent revocations, on every subscriber, in seq order", async () => {
    const t = await newTenant();
    const users = await Promise.all(Array.from({ length: 6 }, () => signup(t)));
    const key = await apiKey(t);
    const subs = await Promise.all(users.map(() => hello(t, { key }).then((h) => h.sub)));
    const seen = subs.map(() => [] as any[]);
    await Promise.all(
      users.map(async (u, i) => {
        await call("POST", `/v1/${t}/logout`, { token: u.access_token });
        seen[i].push(...(await subs[i].fence()));
        expect(seen[i].some((e) => e.sid === u.session_id)).toBe(true);
      }),
    );
    for (let i = 0; i < subs.length; i++) {
      for (let m = await subs[i].quiet(50); m; m = await subs[i].quiet(50)) seen[i].push(m);
      expect(seen[i].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      subs[i].close();
    }
  });
});
