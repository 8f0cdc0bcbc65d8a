/// <reference types="node" />
/**
 * @module The app client's refresh, with a moved clock: ahead of expiry and timed from
 * `expires_in`, single-flight in an instance and across instances sharing storage (in-process,
 * and with Node's own Web Locks and BroadcastChannel, as tabs would have them), what ends a
 * session (only a refused grant) and what keeps it (no answer, 5xx, 429), the grace window.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWardenApp, memoryStorage, type ChangeEvent, type StorageLike, type WardenAppOptions } from "../../src/app/index.ts";
import { FakeWarden, TestClock } from "./fake-warden.ts";

function setup(extra: Partial<WardenAppOptions> = {}) {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const storage = memoryStorage();
  const make = (more: Partial<WardenAppOptions> = {}) =>
    createWardenApp({ baseUrl: "https://auth.test", tenant: "t1", fetch: warden.fetch, clock, storage, retry: { initialMs: 1, maxMs: 5 }, ...extra, ...more });
  return { clock, warden, storage, make };
}

test("a token is handed out as is until it is due, then refreshed once for every concurrent caller", async () => {
  const { clock, warden, make } = setup();
  const app = make();
  const r = await app.signIn({ login: "a@example.com", password: "pw" });
  assert.equal(r.status, "signed_in");
  const first = await app.getAccessToken();
  clock.advance(800_000); // 100 s left of 900: not yet within the 60 s margin
  assert.equal(await app.getAccessToken(), first);
  assert.equal(warden.count("POST /refresh"), 0);
  clock.advance(45_000); // 55 s left
  const tokens = await Promise.all([app.getAccessToken(), app.getAccessToken(), app.getAccessToken()]);
  assert.equal(warden.count("POST /refresh"), 1);
  assert.notEqual(tokens[0], first);
  assert.ok(tokens.every((t) => t === tokens[0]));
  app.close();
});

test("expiry is timed from expires_in on this device's clock, not from the token's exp", async () => {
  const { clock, warden, make } = setup();
  const app = make();
  // Warden's clock is an hour ahead of this device: the token's exp looks an hour later than it is.
  const skewed = warden.access.bind(warden);
  warden.access = (sid, ver) => {
    clock.advance(3_600_000);
    try {
      return skewed(sid, ver);
    } finally {
      clock.advance(-3_600_000);
    }
  };
  await app.signIn({ login: "a", password: "pw" });
  const s = await app.session();
  assert.equal(s!.expires_at, clock.now() + 900_000);
  clock.advance(850_000);
  await app.getAccessToken();
  assert.equal(warden.count("POST /refresh"), 1);
  app.close();
});

test("a short-lived token is refreshed a quarter of its lifetime ahead, not 60 s ahead", async () => {
  const { clock, warden, make } = setup();
  warden.accessTtlS = 60;
  const app = make();
  await app.signIn({ login: "a", password: "pw" });
  clock.advance(40_000);
  await app.getAccessToken();
  assert.equal(warden.count("POST /refresh"), 0);
  clock.advance(6_000); // 14 s left: inside the quarter
  await app.getAccessToken();
  assert.equal(warden.count("POST /refresh"), 1);
  app.close();
});

async function twoTabs(options: Partial<WardenAppOptions>) {
  const { clock, warden, make } = setup(options);
  const a = make();
  const b = make();
  const seen: ChangeEvent["type"][] = [];
  b.onChange((e) => seen.push(e.type));
  await a.signIn({ login: "a", password: "pw" });
  await b.session(); // b reads the shared session
  clock.advance(890_000);
  const [ta, tb] = await Promise.all([a.getAccessToken(), b.getAccessToken()]);
  return { warden, a, b, ta, tb, seen };
}

test("two instances over one store (in-process): one refresh reaches Warden and both get the new pair", async () => {
  const { warden, a, b, ta, tb, seen } = await twoTabs({});
  assert.equal(warden.count("POST /refresh"), 1);
  assert.equal(ta, tb);
  assert.deepEqual(seen, ["signed_in", "refreshed"]);
  a.close(), b.close();
});

test("two tabs with Web Locks and BroadcastChannel: one refresh reaches Warden and both get the new pair", async () => {
  const nav = (globalThis as any).navigator;
  assert.ok(nav?.locks && typeof BroadcastChannel === "function", "Node 24 has navigator.locks and BroadcastChannel");
  const { warden, a, b, ta, tb } = await twoTabs({ locks: nav.locks, BroadcastChannel: BroadcastChannel as any, storageKey: `warden:t1:${Math.random()}` });
  assert.equal(warden.count("POST /refresh"), 1);
  assert.equal(ta, tb);
  a.close(), b.close();
});

test("a tab holding an old copy re-reads storage under the lock and presents nothing", async () => {
  const { clock, warden, make } = setup();
  const a = make();
  const b = make();
  await a.signIn({ login: "a", password: "pw" });
  await b.session();
  clock.advance(890_000);
  await a.getAccessToken();
  // b has not heard of the refresh: its copy still holds the rotated pair
  const t = await b.getAccessToken();
  assert.equal(warden.count("POST /refresh"), 1);
  assert.equal(t, await a.getAccessToken());
  a.close(), b.close();
});

test("no answer, 503 and 429 keep the session and are retried", async () => {
  const { clock, warden, make } = setup();
  const app = make();
  const events: ChangeEvent[] = [];
  app.onChange((e) => events.push(e));
  await app.signIn({ login: "a", password: "pw" });
  clock.advance(850_000);
  warden.failures.set("POST /refresh", ["network", 503, 429]);
  const t = await app.getAccessToken();
  assert.equal(warden.count("POST /refresh"), 4);
  assert.ok(t);
  assert.deepEqual(events.map((e) => e.type), ["signed_in", "refreshed"]);
  app.close();
});

test("while Warden cannot be reached, a still-valid token is handed out; an expired one is an error that keeps the session", async () => {
  const { clock, warden, make } = setup();
  const app = make({ retry: { attempts: 2, initialMs: 1, maxMs: 2 } });
  await app.signIn({ login: "a", password: "pw" });
  const before = await app.getAccessToken();
  clock.advance(850_000);
  warden.failures.set("POST /refresh", ["network", "network", "network", "network"]);
  assert.equal(await app.getAccessToken(), before);
  clock.advance(60_000);
  await assert.rejects(app.getAccessToken(), { name: "WardenError", code: "network" });
  assert.ok(await app.session(), "still signed in");
  const t = await app.getAccessToken(); // Warden is back
  assert.ok(t && t !== before);
  app.close();
});

test("invalid_token on refresh signs out with the reason, in every instance", async () => {
  const { clock, warden, make } = setup();
  const a = make();
  const b = make();
  const reasons: string[] = [];
  b.onChange((e) => e.type === "signed_out" && reasons.push(e.reason));
  await a.signIn({ login: "a", password: "pw" });
  await b.session();
  for (const s of warden.sessions.values()) s.revoked = true;
  clock.advance(890_000);
  assert.equal(await a.getAccessToken(), null);
  assert.equal(await a.session(), null);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(reasons, ["refresh_rejected"]);
  assert.equal(await b.getAccessToken(), null);
  a.close(), b.close();
});

test("an answer lost after Warden rotated: the retry presents the same token inside the grace and gets the same successor", async () => {
  const { clock, warden, make } = setup();
  const app = make();
  await app.signIn({ login: "a", password: "pw" });
  clock.advance(850_000);
  warden.failures.set("POST /refresh", ["lost"]);
  const t = await app.getAccessToken();
  assert.ok(t);
  const s = [...warden.sessions.values()][0];
  assert.equal(s.revoked, false);
  clock.advance(900_000);
  assert.ok(await app.getAccessToken(), "the successor it stored is the live one");
  assert.equal(s.revoked, false);
  app.close();
});

test("each instance with its own store keeps its own user (a Node server with one client per user)", async () => {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const mk = (storage?: StorageLike) => createWardenApp({ baseUrl: "https://auth.test", tenant: "t1", fetch: warden.fetch, clock, storage });
  const alice = mk();
  const bob = mk();
  await alice.signIn({ login: "a", password: "pw" });
  assert.ok(await alice.getAccessToken());
  assert.equal(await bob.getAccessToken(), null);
  alice.close(), bob.close();
});
