/// <reference types="node" />
/**
 * @module Revocation subscribers end to end: real WebSockets (the `ws` package) against a real
 * `wrangler dev`, as a resource server or a browser tab would hold them.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import WebSocket from "ws";
import { useServer } from "./server.ts";

const server = useServer();
const PASSWORD = "correct horse battery staple";

async function http(method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function tenant(): Promise<{ slug: string; key: string }> {
  const slug = `rt-${randomBytes(4).toString("hex")}`;
  const t = await http("POST", "/v1/admin/tenants", { token: server.adminToken, body: { slug, name: slug, settings: { password: { hash: "pbkdf2-sha256" } } } });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const k = await http("POST", `/v1/admin/tenants/${slug}/api-keys`, { token: server.adminToken, body: { name: "rs", scopes: ["subscribe", "introspect"] } });
  assert.equal(k.status, 201);
  return { slug, key: k.body.key };
}

async function signup(slug: string): Promise<any> {
  const r = await http("POST", `/v1/${slug}/signup`, { body: { email: `${randomBytes(4).toString("hex")}@example.com`, password: PASSWORD } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** A socket whose messages queue up, so a test can await them one by one. */
interface Sub {
  ws: WebSocket;
  next(timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

function subscribe(path: string, headers: Record<string, string> = {}): Promise<Sub> {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}${path}`, { headers });
  const queue: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  ws.on("message", (data) => {
    const m = data.toString();
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const sub: Sub = {
    ws,
    closed,
    next: (timeoutMs = 5000) =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("no message in time")), timeoutMs);
            waiters.push((m) => (clearTimeout(timer), resolve(m)));
          }),
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(sub));
    ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once("error", reject);
  });
}

test("a service subscriber gets hello, then every revocation of the tenant; a user subscriber only its own and is closed with 4001", async () => {
  const { slug, key } = await tenant();
  const a = await signup(slug);
  const b = await signup(slug);
  const service = await subscribe(`/v1/${slug}/events`, { authorization: `Bearer ${key}` });
  const hello = JSON.parse(await service.next());
  assert.equal(hello.type, "hello");
  assert.equal(hello.tenant, slug);
  assert.equal(typeof hello.seq, "number");
  const userA = await subscribe(`/v1/${slug}/events?access_token=${a.access_token}`);
  assert.equal(JSON.parse(await userA.next()).type, "hello");

  assert.equal((await http("POST", `/v1/${slug}/logout`, { token: b.access_token })).status, 204);
  const eb = JSON.parse(await service.next());
  assert.deepEqual([eb.type, eb.sub, eb.sid, eb.reason, eb.tenant], ["session.revoked", b.user.id, b.session_id, "logout", slug]);

  assert.equal((await http("POST", `/v1/${slug}/logout`, { token: a.access_token })).status, 204);
  const ea = JSON.parse(await service.next());
  assert.equal(ea.sid, a.session_id);
  assert.equal(ea.seq, eb.seq + 1);
  // The user subscriber saw only its own event, then its socket was closed.
  const own = JSON.parse(await userA.next());
  assert.deepEqual([own.type, own.sid], ["session.revoked", a.session_id]);
  assert.equal((await userA.closed).code, 4001);
  service.ws.close();
});

test("since replays every retained event in order, then live ones follow with no gap", async () => {
  const { slug, key } = await tenant();
  const users = await Promise.all([signup(slug), signup(slug), signup(slug)]);
  for (const u of users) assert.equal((await http("POST", `/v1/${slug}/logout-all`, { token: u.access_token })).status, 204);
  const sub = await subscribe(`/v1/${slug}/events?since=0`, { authorization: `Bearer ${key}` });
  const hello = JSON.parse(await sub.next());
  assert.equal(hello.seq, 3);
  const replayed = [JSON.parse(await sub.next()), JSON.parse(await sub.next()), JSON.parse(await sub.next())];
  assert.deepEqual(replayed.map((e) => e.seq), [1, 2, 3]);
  assert.ok(replayed.every((e) => e.type === "user.revoked" && e.ver === 2));
  const more = await signup(slug);
  await http("POST", `/v1/${slug}/logout`, { token: more.access_token });
  assert.equal(JSON.parse(await sub.next()).seq, 4);
  sub.ws.close();
});

test("a cursor beyond the log gets reset", async () => {
  const { slug, key } = await tenant();
  const sub = await subscribe(`/v1/${slug}/events?since=99`, { authorization: `Bearer ${key}` });
  assert.equal(JSON.parse(await sub.next()).type, "hello");
  assert.equal(JSON.parse(await sub.next()).type, "reset");
  sub.ws.close();
});

test("ping is answered pong", async () => {
  const { slug, key } = await tenant();
  const sub = await subscribe(`/v1/${slug}/events`, { authorization: `Bearer ${key}` });
  await sub.next();
  sub.ws.send("ping");
  assert.equal(await sub.next(), "pong");
  sub.ws.close();
});

test("format=set sends Security Event Tokens that verify with the tenant JWKS", async () => {
  const { slug, key } = await tenant();
  const u = await signup(slug);
  const sub = await subscribe(`/v1/${slug}/events?format=set`, { authorization: `Bearer ${key}` });
  await sub.next();
  await http("POST", `/v1/${slug}/logout`, { token: u.access_token });
  const set = await sub.next();
  const jwks = createLocalJWKSet((await http("GET", `/v1/${slug}/.well-known/jwks.json`)).body);
  const { payload, protectedHeader } = await jwtVerify(set, jwks, { issuer: `${server.url}/v1/${slug}`, audience: slug });
  assert.equal(protectedHeader.typ, "secevent+jwt");
  const events = payload.events as Record<string, unknown>;
  assert.ok(events["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]);
  sub.ws.close();
});

test("refused credentials get the error model's body before any upgrade", async () => {
  const { slug } = await tenant();
  await assert.rejects(subscribe(`/v1/${slug}/events`), { status: 401 });
  await assert.rejects(subscribe(`/v1/${slug}/events`, { authorization: "Bearer wk_0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), { status: 401 });
  await assert.rejects(subscribe(`/v1/${slug}/events?access_token=garbage`), { status: 401 });
  await assert.rejects(subscribe(`/v1/no-such-tenant-${randomBytes(3).toString("hex")}/events`, { authorization: "Bearer x" }), { status: 404 });
});

test("the client library in Node rejects a token right after the logout call returns, and a newer ver after logout-all", async () => {
  const { createVerifier } = await import("../../src/client/index.ts");
  const { slug, key } = await tenant();
  const verifier = createVerifier({ baseUrl: server.url, tenant: slug, apiKey: key });
  try {
    await verifier.ready;
    const a = await signup(slug);
    const first = await verifier.verify(a.access_token);
    assert.equal(first.active, true);
    assert.equal((await http("POST", `/v1/${slug}/logout`, { token: a.access_token })).status, 204);
    // The event travels on the socket while the HTTP answer travels on its own connection:
    // give the already-sent frame a moment to be read, bounded, then it must be applied.
    let r = await verifier.verify(a.access_token);
    for (let i = 0; r.active && i < 50; i++) (await new Promise((ok) => setTimeout(ok, 10)), (r = await verifier.verify(a.access_token)));
    assert.equal(r.active, false);

    const b = await signup(slug);
    const login = await http("POST", `/v1/${slug}/login`, { body: { login: b.user.email, password: PASSWORD } });
    assert.equal((await verifier.verify(login.body.access_token)).active, true);
    assert.equal((await http("POST", `/v1/${slug}/logout-all`, { token: b.access_token })).status, 204);
    let s = await verifier.verify(login.body.access_token);
    for (let i = 0; s.active && i < 50; i++) (await new Promise((ok) => setTimeout(ok, 10)), (s = await verifier.verify(login.body.access_token)));
    assert.equal(s.active, false);
  } finally {
    verifier.close();
  }
});
