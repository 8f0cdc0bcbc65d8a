/** @module Logout, logout-all, GET /sessions and DELETE /sessions/{id}. */
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { apiKey, call, expectError, introspect, login, newTenant, refresh, rows, signup } from "../helpers.ts";

afterEach(() => clock.reset());

const me = (t: string, token: string) => call("GET", `/v1/${t}/me`, { token });

describe("logout", () => {
  // ASVS 7.4.1
  it("answers 204 and ends this session only", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const other = await login(t, s.user.email);
    const key = await apiKey(t);
    const r = await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    expect(r.status).toBe(204);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expectError(await me(t, s.access_token), 401, "invalid_token");
    expect((await me(t, other.body.access_token)).status).toBe(200);
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events");
    expect(events.map((e) => ({ type: e.type, ...JSON.parse(e.payload) }))).toEqual([expect.objectContaining({ type: "session.revoked", sid: s.session_id, reason: "logout" })]);
  });

  // ASVS 7.4.1
  it("a second logout with the same token is 401 invalid_token", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    expectError(await call("POST", `/v1/${t}/logout`, { token: s.access_token }), 401, "invalid_token");
  });

  it("without a token is 401 unauthorized", async () => {
    const t = await newTenant();
    expectError(await call("POST", `/v1/${t}/logout`), 401, "unauthorized");
  });
});

describe("logout-all", () => {
  // ASVS 7.4.3
  it("ends every session: refresh tokens and access tokens all dead, one user.revoked event with the new ver", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const logins = [await login(t, s.user.email), await login(t, s.user.email)];
    const refreshed = await refresh(t, logins[0].body.refresh_token);
    const key = await apiKey(t);
    const access = [s.access_token, ...logins.map((l) => l.body.access_token), refreshed.body.access_token];
    const refreshTokens = [s.refresh_token, logins[1].body.refresh_token, refreshed.body.refresh_token];
    const r = await call("POST", `/v1/${t}/logout-all`, { token: logins[1].body.access_token });
    expect(r.status).toBe(204);
    for (const a of access) expect((await introspect(t, key, a)).active).toBe(false);
    for (const rt of refreshTokens) {
      expect((await introspect(t, key, rt)).active).toBe(false);
      expectError(await refresh(t, rt), 401, "invalid_token");
    }
    expect(await rows(t, "SELECT id FROM sessions WHERE revoked_at IS NULL")).toEqual([]);
    expect(await rows(t, "SELECT hash FROM refresh_chains")).toEqual([]);
    const [user] = await rows<{ secret_version: number }>(t, "SELECT secret_version FROM users");
    expect(user.secret_version).toBe(2);
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events");
    expect(events.map((e) => ({ type: e.type, ...JSON.parse(e.payload) }))).toEqual([expect.objectContaining({ type: "user.revoked", sub: s.user.id, ver: 2, reason: "logout_all" })]);
  });

  it("leaves other users alone", async () => {
    const t = await newTenant();
    const a = await signup(t);
    const b = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: a.access_token });
    expect((await me(t, b.access_token)).status).toBe(200);
    expect((await refresh(t, b.refresh_token)).status).toBe(200);
  });

  it("a new login after logout-all works and carries the new ver", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: s.access_token });
    const l = await login(t, s.user.email);
    expect(l.status).toBe(200);
    expect(JSON.parse(atob(l.body.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).ver).toBe(2);
    expect((await refresh(t, l.body.refresh_token)).status).toBe(200);
  });
});

describe("GET /sessions", () => {
  // ASVS 7.5.2
  it("lists the user's live sessions, newest first, with the current one flagged", async () => {
    const t = await newTenant();
    const s = await signup(t);
    clock.advance(1000);
    const l = await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: "correct horse battery staple" }, headers: { "cf-connecting-ip": "198.51.100.7", "user-agent": "phone/2" } });
    const other = await signup(t);
    const r = await call("GET", `/v1/${t}/sessions`, { token: s.access_token });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body.sessions).toHaveLength(2);
    expect(r.body.sessions.map((x: { id: string }) => x.id)).toEqual([l.body.session_id, s.session_id]);
    expect(r.body.sessions.map((x: { id: string }) => x.id)).not.toContain(other.session_id);
    const [newest, current] = r.body.sessions;
    expect(Object.keys(current).sort()).toEqual(expect.arrayContaining(["amr", "created_at", "current", "id", "ip", "last_refreshed_at", "online", "user_agent"]));
    expect(current).toMatchObject({ id: s.session_id, current: true, online: false, amr: ["pwd"] });
    expect(newest).toMatchObject({ current: false, ip: "198.51.100.7", user_agent: "phone/2", amr: ["pwd"] });
    expect(Date.parse(newest.created_at)).toBeGreaterThan(Date.parse(current.created_at));
    expect(Date.parse(current.last_refreshed_at)).not.toBeNaN();
    expect(JSON.stringify(r.body)).not.toContain(s.refresh_token.split(".").at(-1));
  });

  it("does not list revoked sessions", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const l = await login(t, s.user.email);
    await call("POST", `/v1/${t}/logout`, { token: l.body.access_token });
    const r = await call("GET", `/v1/${t}/sessions`, { token: s.access_token });
    expect(r.body.sessions.map((x: { id: string }) => x.id)).toEqual([s.session_id]);
  });
});

describe("DELETE /sessions/{id}", () => {
  // ASVS 7.5.2
  it("revokes one of your own sessions: 204, its tokens dead, yours alive", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const l = await login(t, s.user.email);
    const key = await apiKey(t);
    const r = await call("DELETE", `/v1/${t}/sessions/${l.body.session_id}`, { token: s.access_token });
    expect(r.status).toBe(204);
    expect((await introspect(t, key, l.body.access_token)).active).toBe(false);
    expectError(await refresh(t, l.body.refresh_token), 401, "invalid_token");
    expect((await me(t, s.access_token)).status).toBe(200);
  });

  it("revoking the current session ends it too", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expect((await call("DELETE", `/v1/${t}/sessions/${s.session_id}`, { token: s.access_token })).status).toBe(204);
    expectError(await me(t, s.access_token), 401, "invalid_token");
  });

  it("another user's session is 404 not_found and stays alive", async () => {
    const t = await newTenant();
    const a = await signup(t);
    const b = await signup(t);
    expectError(await call("DELETE", `/v1/${t}/sessions/${b.session_id}`, { token: a.access_token }), 404, "not_found");
    expect((await me(t, b.access_token)).status).toBe(200);
  });

  it("an unknown or malformed session id is 404 not_found", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expectError(await call("DELETE", `/v1/${t}/sessions/${"Z".repeat(22)}`, { token: s.access_token }), 404, "not_found");
    expectError(await call("DELETE", `/v1/${t}/sessions/nope`, { token: s.access_token }), 404, "not_found");
  });

  it("an already revoked session is 404 not_found", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const l = await login(t, s.user.email);
    await call("DELETE", `/v1/${t}/sessions/${l.body.session_id}`, { token: s.access_token });
    expectError(await call("DELETE", `/v1/${t}/sessions/${l.body.session_id}`, { token: s.access_token }), 404, "not_found");
  });
});
