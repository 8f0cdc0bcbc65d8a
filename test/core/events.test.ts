/** @module GET /v1/{tenant}/events: the upgrade is admitted or refused by the tenant object (the protocol itself is section 7's tests). */
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { ADMIN, apiKey, BASE, call, expectError, newTenant, signup, sleep } from "../helpers.ts";

afterEach(() => clock.reset());

async function open(path: string, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`${BASE}${path}`, { headers: { upgrade: "websocket", ...headers } });
  const ws = res.webSocket;
  const messages: string[] = [];
  if (ws) {
    ws.accept();
    ws.addEventListener("message", (e) => void messages.push(String(e.data)));
  }
  return { res, ws, messages };
}

describe("GET /events", () => {
  it("a service with a subscribe key is upgraded, says hello, and hears a logout at once", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const { res, ws, messages } = await open(`/v1/${t}/events`, { authorization: `Bearer ${await apiKey(t, ["subscribe"])}` });
    expect(res.status).toBe(101);
    await sleep(50);
    expect(JSON.parse(messages[0])).toMatchObject({ type: "hello", tenant: t, seq: 0 });
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    await sleep(50);
    expect(JSON.parse(messages[1])).toMatchObject({ seq: 1, type: "session.revoked", sub: s.user.id, sid: s.session_id, reason: "logout" });
    ws!.close();
  });

  it("the admin token is accepted", async () => {
    const t = await newTenant();
    const { res, ws } = await open(`/v1/${t}/events`, { authorization: `Bearer ${ADMIN}` });
    expect(res.status).toBe(101);
    ws!.close();
  });

  it("a user with a live access token is upgraded", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const { res, ws } = await open(`/v1/${t}/events?access_token=${s.access_token}`);
    expect(res.status).toBe(101);
    ws!.close();
  });

  it("a connected user's session shows online in GET /sessions", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const other = await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: "correct horse battery staple" } });
    const { ws } = await open(`/v1/${t}/events?access_token=${s.access_token}`);
    await sleep(50);
    const r = await call("GET", `/v1/${t}/sessions`, { token: other.body.access_token });
    const online = Object.fromEntries(r.body.sessions.map((x: { id: string; online: boolean }) => [x.id, x.online]));
    expect(online).toEqual({ [s.session_id]: true, [other.body.session_id]: false });
    ws!.close();
  });

  it("no credential is 401 unauthorized", async () => {
    const t = await newTenant();
    const { res } = await open(`/v1/${t}/events`);
    expect(res.status).toBe(401);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("unauthorized");
  });

  it("a key without subscribe is 403 forbidden; a bad key or a revoked access token is 401 invalid_token", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expect((await open(`/v1/${t}/events`, { authorization: `Bearer ${await apiKey(t, ["introspect"])}` })).res.status).toBe(403);
    expect((await open(`/v1/${t}/events`, { authorization: "Bearer wk_0123456789abcdef.nope" })).res.status).toBe(401);
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    expect((await open(`/v1/${t}/events?access_token=${s.access_token}`)).res.status).toBe(401);
  });

  it("a request that is not a WebSocket upgrade is 400 invalid_request", async () => {
    const t = await newTenant();
    expectError(await call("GET", `/v1/${t}/events`, { token: await apiKey(t) }), 400, "invalid_request");
  });

  it("a bad since or format is 400 invalid_request", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    expect((await open(`/v1/${t}/events?since=-1`, { authorization: `Bearer ${key}` })).res.status).toBe(400);
    expect((await open(`/v1/${t}/events?format=xml`, { authorization: `Bearer ${key}` })).res.status).toBe(400);
  });
});
