/// <reference types="node" />
/**
 * @module The app client's calls: sign-in with and without a second factor, sign-out that
 * holds even when Warden cannot be told, errors in Warden's and RFC 6749's shapes, the
 * `fetch` wrapper (token to configured origins only, one refresh and retry on 401 for
 * replayable bodies), and the storage-lease fallback lock.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createCoordination } from "../../src/app/coordination.ts";
import { errorFrom } from "../../src/app/errors.ts";
import { createWardenApp, memoryStorage, type BroadcastChannelCtor, type StorageLike, type WardenAppOptions } from "../../src/app/index.ts";
import { FakeWarden, TestClock } from "./fake-warden.ts";

function setup(more: Partial<WardenAppOptions> = {}) {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const app = createWardenApp({ baseUrl: "https://auth.test/", tenant: "t1", fetch: warden.fetch, clock, storage: memoryStorage(), retry: { initialMs: 1 }, ...more });
  return { clock, warden, app };
}

test("sign-in with a second factor: mfa_required, then complete(code) signs in", async () => {
  const { warden, app } = setup();
  warden.mfa = true;
  const r = await app.signIn({ login: "a", password: "pw" });
  assert.equal(r.status, "mfa_required");
  if (r.status !== "mfa_required") return;
  assert.deepEqual(r.methods, ["totp"]);
  assert.equal(await app.session(), null);
  await assert.rejects(r.complete("000000"), { code: "invalid_credentials", status: 401 });
  const done = await r.complete("123456");
  assert.equal(done.status, "signed_in");
  assert.ok(await app.getAccessToken());
  app.close();
});

test("a tenant that requires a second factor: mfa_enrollment_required, enroll() for the secret, complete(code) signs in with the recovery codes", async () => {
  const { warden, app } = setup();
  warden.enrollment = true;
  const r = await app.signUp({ email: "a@example.com", password: "pw" });
  assert.equal(r.status, "mfa_enrollment_required");
  if (r.status !== "mfa_enrollment_required") return;
  assert.equal(await app.session(), null);
  const e = await r.enroll();
  assert.equal(e.secret, warden.pendingSecret);
  assert.ok(e.otpauth_uri.startsWith("otpauth://totp/"));
  await assert.rejects(r.complete("000000"), { code: "invalid_credentials", status: 401 });
  assert.equal(await app.session(), null);
  const done = await r.complete("654321");
  assert.equal(done.status, "signed_in");
  assert.deepEqual(done.recoveryCodes, ["aaaa-bbbb-cccc", "dddd-eeee-ffff"]);
  assert.equal((await app.session())?.session_id, done.session.session_id);
  app.close();
});

test("wrong credentials are a WardenError and leave no session", async () => {
  const { app } = setup();
  await assert.rejects(app.signIn({ login: "a", password: "nope" }), { name: "WardenError", code: "invalid_credentials" });
  assert.equal(await app.session(), null);
  app.close();
});

test("sign-out tells Warden; when Warden cannot be reached the tokens still leave this device", async () => {
  const { warden, app } = setup();
  const reasons: string[] = [];
  app.onChange((e) => e.type === "signed_out" && reasons.push(e.reason));
  await app.signIn({ login: "a", password: "pw" });
  await app.signOut();
  assert.equal(warden.count("POST /logout"), 1);
  assert.equal(await app.getAccessToken(), null);
  await app.signIn({ login: "a", password: "pw" });
  warden.failures.set("POST /logout", ["network"]);
  await assert.rejects(app.signOut(), { code: "network" });
  assert.equal(await app.getAccessToken(), null);
  assert.deepEqual(reasons, ["local", "local"]);
  app.close();
});

test("errors: Warden's shape keeps its extra fields and Retry-After; RFC 6749's shape gives its code", async () => {
  const w = await errorFrom(new Response(JSON.stringify({ error: { code: "rate_limited", message: "slow", details: [1] } }), { status: 429, headers: { "retry-after": "7" } }));
  assert.deepEqual([w.code, w.status, w.retryAfter, w.details], ["rate_limited", 429, 7, [1]]);
  const o = await errorFrom(new Response(JSON.stringify({ error: "invalid_grant", error_description: "used" }), { status: 400 }));
  assert.deepEqual([o.code, o.message], ["invalid_grant", "used"]);
  const p = await errorFrom(new Response("<html>bad gateway</html>", { status: 502 }));
  assert.deepEqual([p.code, p.status], ["unavailable", 502]);
});

test("fetch wrapper: the token goes to the configured origins only", async () => {
  const seen: { url: string; auth: string | null }[] = [];
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    if (req.url.startsWith("https://auth.test/")) return warden.fetch(req);
    seen.push({ url: req.url, auth: req.headers.get("authorization") });
    return new Response("ok");
  };
  const app = createWardenApp({ baseUrl: "https://auth.test", tenant: "t1", fetch: fetchFn, clock, apiOrigins: ["https://api.example.com"] });
  await app.signIn({ login: "a", password: "pw" });
  await app.fetch("https://api.example.com/things");
  await app.fetch("https://tracker.example.net/pixel");
  assert.match(seen[0].auth!, /^Bearer ey/);
  assert.equal(seen[1].auth, null);
  app.close();
});

test("fetch wrapper: a 401 refreshes once and replays a replayable request; a stream body is not replayed", async () => {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const bodies: string[] = [];
  let rejectNext = 0;
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    if (req.url.startsWith("https://auth.test/")) return warden.fetch(req);
    bodies.push(await req.text());
    if (rejectNext > 0) return rejectNext--, new Response("", { status: 401 });
    return new Response("ok");
  };
  const app = createWardenApp({ baseUrl: "https://auth.test", tenant: "t1", fetch: fetchFn, clock, apiOrigins: ["https://api.example.com"] });
  await app.signIn({ login: "a", password: "pw" });
  rejectNext = 1;
  const ok = await app.fetch("https://api.example.com/x", { method: "POST", body: "payload" });
  assert.equal(ok.status, 200);
  assert.deepEqual(bodies, ["payload", "payload"]);
  assert.equal(warden.count("POST /refresh"), 1);
  rejectNext = 1;
  const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("once")), c.close()) });
  const no = await app.fetch("https://api.example.com/x", { method: "POST", body: stream, duplex: "half" } as RequestInit);
  assert.equal(no.status, 401);
  assert.equal(warden.count("POST /refresh"), 1);
  rejectNext = 2;
  const twice = await app.fetch("https://api.example.com/x");
  assert.equal(twice.status, 401, "one retry, not a loop");
  app.close();
});

test("the storage lease (no Web Locks): one holder at a time across instances that only share storage", async () => {
  const data = memoryStorage();
  const events = new EventTarget() as any;
  // Each tab its own view of one store: the in-process registry (keyed by the store object) does not join them.
  const mk = () =>
    createCoordination({
      storage: { getItem: (k) => data.getItem(k), setItem: (k, v) => data.setItem(k, v), removeItem: (k) => data.removeItem(k) },
      namespace: "n",
      locks: null,
      BroadcastChannel: null,
      storageEvents: events,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => Date.now(),
    });
  const tabs = [mk(), mk()];
  let inside = 0;
  let most = 0;
  await Promise.all(
    [0, 1, 0, 1].map((i) =>
      tabs[i].lock("refresh", async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 20));
        inside--;
      }),
    ),
  );
  assert.equal(most, 1);
  assert.equal(data.getItem("n:lock:refresh"), null, "released");
});

/** One origin's `localStorage` as two tabs see it: a write shows in the other tab's view only after `lagMs` (as in Chromium, across processes). */
function laggingStorage(lagMs: number): [StorageLike, StorageLike] {
  const views = [new Map<string, string>(), new Map<string, string>()];
  const view = (mine: number): StorageLike => ({
    getItem: (k) => views[mine].get(k) ?? null,
    setItem: (k, v) => {
      views[mine].set(k, v);
      setTimeout(() => views[1 - mine].set(k, v), lagMs);
    },
    removeItem: (k) => {
      views[mine].delete(k);
      setTimeout(() => views[1 - mine].delete(k), lagMs);
    },
  });
  return [view(0), view(1)];
}

test("the other tab hears of a sign-in and a sign-out even when its channel message outruns its storage", async () => {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const [sa, sb] = laggingStorage(200);
  const storageKey = `lag${Math.random()}`; // the channel's name: this test's two tabs only
  const tab = (storage: StorageLike) =>
    createWardenApp({ baseUrl: "https://auth.test", tenant: "t1", fetch: warden.fetch, clock, storage, storageKey, locks: null, BroadcastChannel: globalThis.BroadcastChannel as unknown as BroadcastChannelCtor });
  const a = tab(sa);
  const b = tab(sb);
  const seen: string[] = [];
  // Well before the storage lag is over, or "nothing".
  const next = () =>
    new Promise<string>((r) => {
      const t = setTimeout(() => (off(), r("nothing")), 100);
      const off = b.onChange((e) => (clearTimeout(t), off(), r(e.type === "signed_out" ? `signed_out:${e.reason}` : e.type)));
    });
  try {
    let heard = next();
    await a.signIn({ login: "a", password: "pw" });
    seen.push(await heard);
    assert.equal(await b.getAccessToken(), await a.getAccessToken(), "b has the pair before its storage shows it");
    heard = next();
    await a.signOut();
    seen.push(await heard);
    assert.equal(await b.getAccessToken(), null);
    assert.deepEqual(seen, ["signed_in", "signed_out:local"]);
  } finally {
    a.close();
    b.close();
  }
});
