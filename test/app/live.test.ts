/// <reference types="node" />
/**
 * @module Live sign-out with a socket the test plays Warden's side of: a ticket in the URL and
 * never the token, one socket for the instances that share a store, sign-out on its session's
 * revocation or a newer `ver`, a `PATCH /me` of this session that must not sign out, 4001 and
 * 4003, reconnection with `since`, in-band renewal after a refresh.
 */
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { createWardenApp, memoryStorage, type ChangeEvent, type WardenAppOptions } from "../../src/app/index.ts";
import { FakeSocket, FakeWarden, TestClock, until } from "./fake-warden.ts";

beforeEach(() => {
  FakeSocket.all = [];
});

function setup() {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const storage = memoryStorage();
  const make = (more: Partial<WardenAppOptions> = {}) =>
    createWardenApp({
      baseUrl: "https://auth.test",
      tenant: "t1",
      fetch: warden.fetch,
      clock,
      storage,
      WebSocket: FakeSocket,
      pingIntervalMs: 0,
      backoff: { initialMs: 1, maxMs: 4 },
      ...more,
    });
  return { clock, warden, make };
}

const sidOf = (w: FakeWarden) => [...w.sessions.keys()].at(-1)!;

async function signedInWithSocket() {
  const ctx = setup();
  const a = ctx.make();
  const b = ctx.make();
  const events: { tab: string; e: ChangeEvent }[] = [];
  a.onChange((e) => events.push({ tab: "a", e }));
  b.onChange((e) => events.push({ tab: "b", e }));
  await b.session();
  await a.signIn({ login: "a", password: "pw" });
  await until(() => FakeSocket.open.length === 1, "a socket");
  const ws = FakeSocket.open[0];
  ws.push({ type: "hello", tenant: "t1", seq: 7, server_time: new Date().toISOString() });
  await until(() => a.liveStatus === "open" || b.liveStatus === "open", "hello");
  const signedOut = () => events.filter((x) => x.e.type === "signed_out").map((x) => `${x.tab}:${(x.e as { reason: string }).reason}`).sort();
  return { ...ctx, a, b, ws, events, signedOut };
}

const event = (w: FakeWarden, type: string, seq: number, more: Record<string, unknown> = {}) => ({ seq, type, ts: new Date(w.clock.now()).toISOString(), tenant: "t1", sub: "u1", reason: "x", ...more });

test("one socket for the instances sharing a store, opened with a ticket and never the token", async () => {
  const { ws, a, b } = await signedInWithSocket();
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(ws.url.protocol, "wss:");
  assert.equal(ws.url.pathname, "/v1/t1/events");
  assert.match(ws.url.searchParams.get("ticket")!, /^tk/);
  assert.equal(ws.url.searchParams.get("access_token"), null);
  assert.deepEqual([a.liveStatus, b.liveStatus].sort(), ["open", "standby"]);
  a.close(), b.close();
});

test("its session revoked: every instance signs out at once with the reason", async () => {
  const { ws, warden, signedOut, a, b } = await signedInWithSocket();
  ws.push(event(warden, "session.revoked", 8, { sid: "someone-else" }));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(signedOut(), []);
  ws.push(event(warden, "session.revoked", 9, { sid: sidOf(warden) }));
  await until(() => signedOut().length === 2, "both signed out");
  assert.deepEqual(signedOut(), ["a:session_revoked", "b:session_revoked"]);
  assert.equal(await a.getAccessToken(), null);
  assert.equal(await b.getAccessToken(), null);
  await until(() => FakeSocket.open.length === 0, "the socket closed");
  a.close(), b.close();
});

test("a newer ver of its user signs out; an older or equal one does not", async () => {
  const { ws, warden, signedOut, a, b } = await signedInWithSocket();
  ws.push(event(warden, "user.revoked", 8, { ver: 1 }));
  ws.push(event(warden, "user.revoked", 9, { sub: "u2", ver: 5 }));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(signedOut(), []);
  ws.push(event(warden, "user.disabled", 10, { ver: 2 }));
  await until(() => signedOut().length === 2, "both signed out");
  assert.deepEqual(signedOut(), ["a:user_disabled", "b:user_disabled"]);
  a.close(), b.close();
});

test("tenant.revoked (every user signed out) ends a session whose token is from an earlier second; one of the event's own second waits", async () => {
  const { ws, warden, signedOut, a, b } = await signedInWithSocket();
  ws.push(event(warden, "tenant.revoked", 8, { sub: "t1", ts: new Date(warden.clock.now() + 999 - (warden.clock.now() % 1000)).toISOString() }));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(signedOut(), []);
  ws.push(event(warden, "tenant.revoked", 9, { sub: "t1", ts: new Date(warden.clock.now() + 1000).toISOString() }));
  await until(() => signedOut().length === 2, "both signed out");
  assert.deepEqual(signedOut(), ["a:tenant_revoked", "b:tenant_revoked"]);
  a.close(), b.close();
});

test("a PATCH /me of this session emits user.revoked before its answer: the session stays, the socket reconnects", async () => {
  const { ws, warden, signedOut, a, b } = await signedInWithSocket();
  // Warden broadcasts before it answers: deliver the event and the 4001 while the call is in flight.
  warden.beforeAnswer = async (route) => {
    if (route !== "PATCH /me") return;
    ws.push(event(warden, "user.revoked", 8, { ver: warden.ver }));
    ws.close(4001);
    await new Promise((r) => setTimeout(r, 30));
  };
  const s = await b.user.update({ new_username: "alice", current_password: "pw" });
  assert.ok(s.session_id);
  await until(() => FakeSocket.open.length === 1 && FakeSocket.all.length === 2, "a new socket");
  assert.deepEqual(signedOut(), []);
  const again = FakeSocket.open[0];
  assert.equal(again.url.searchParams.get("since"), "8");
  assert.ok(await a.getAccessToken());
  a.close(), b.close();
});

test("4001 with no newer token: signed out", async () => {
  const { ws, signedOut, a, b } = await signedInWithSocket();
  ws.close(4001);
  await until(() => signedOut().length === 2, "both signed out");
  assert.deepEqual(signedOut(), ["a:session_revoked", "b:session_revoked"]);
  a.close(), b.close();
});

test("4003 (the socket's token expired) reconnects with a fresh token and since, never signs out", async () => {
  const { ws, clock, warden, signedOut, a, b } = await signedInWithSocket();
  clock.advance(900_000);
  ws.close(4003);
  await until(() => FakeSocket.all.length === 2 && FakeSocket.open.length === 1, "a new socket");
  assert.equal(warden.count("POST /refresh"), 1);
  assert.equal(FakeSocket.open[0].url.searchParams.get("since"), "7");
  assert.deepEqual(signedOut(), []);
  a.close(), b.close();
});

test("a dropped socket reconnects with since = the last seq; a refresh renews it in-band", async () => {
  const { ws, clock, warden, signedOut, a, b } = await signedInWithSocket();
  ws.push(event(warden, "session.revoked", 12, { sid: "other" }));
  ws.close(1006);
  await until(() => FakeSocket.open.length === 1 && FakeSocket.all.length === 2, "a new socket");
  const again = FakeSocket.open[0];
  assert.equal(again.url.searchParams.get("since"), "12");
  again.push({ type: "hello", tenant: "t1", seq: 12, server_time: "" });
  clock.advance(890_000);
  const token = await b.getAccessToken();
  await until(() => again.sent.some((m) => m.includes("renew")), "a renewal");
  assert.deepEqual(JSON.parse(again.sent.find((m) => m.includes("renew"))!), { type: "renew", access_token: token });
  assert.deepEqual(signedOut(), []);
  a.close(), b.close();
});

test("when the instance holding the socket goes away, another takes it over", async () => {
  const { a, b } = await signedInWithSocket();
  const leader = a.liveStatus === "open" ? a : b;
  const other = leader === a ? b : a;
  leader.close();
  await until(() => FakeSocket.open.length === 1 && FakeSocket.all.length === 2, "a second socket");
  FakeSocket.open[0].push({ type: "hello", tenant: "t1", seq: 7, server_time: "" });
  await until(() => other.liveStatus === "open", "the other leads");
  other.close();
});

test("signing out closes the socket and gives up the election", async () => {
  const { a, b, warden } = await signedInWithSocket();
  await a.signOut();
  assert.equal(warden.count("POST /logout"), 1);
  await until(() => FakeSocket.open.length === 0 && a.liveStatus === "off" && b.liveStatus === "off", "no socket");
  a.close(), b.close();
});
