/**
 * Events that commit while a socket is being set up. A socket is reachable by broadcasts from
 * the moment partyserver accepts it, a moment before its `hello` and replay are sent; these
 * tests put a commit exactly in that window (deterministically, by hooking the object) and
 * check the subscriber still sees hello, the replay, then live events, with no gap and no
 * duplicate, and that a credential that died in the window closes the socket.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantObject } from "../../objects/tenant.ts";
import { appendEvent } from "../../objects/tenant/events.ts";
import { getSession, revokeSession } from "../../objects/tenant/sessions.ts";
import { apiKey, newTenant, signup, stub } from "../helpers.ts";
import { sessionEvents, type Emitted } from "./emit.ts";
import { subscribe } from "./ws.ts";

type Hook = (o: TenantObject) => Promise<void> | void;

/**
 * Installs one-shot hooks on the object for the next connection: `afterBegin` runs when the
 * connection's `onConnect` has loaded the tenant (socket accepted, nothing sent yet);
 * `whileSigning` runs when it first signs a Security Event Token for the replay.
 */
function hookNextConnect(slug: string, h: { afterBegin?: Hook; whileSigning?: Hook }): Promise<void> {
  return runInDurableObject(stub(slug), (o: TenantObject) => {
    const onConnect = o.onConnect.bind(o);
    const begin = o.begin.bind(o);
    const ring = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(o), "ring")!.get!.bind(o);
    let connecting = false;
    o.onConnect = async (...args) => {
      connecting = true;
      try {
        return await onConnect(...args);
      } finally {
        connecting = false;
        for (const k of ["onConnect", "begin", "ring"]) delete (o as unknown as Record<string, unknown>)[k];
      }
    };
    o.begin = async (opts) => {
      const r = await begin(opts);
      if (connecting && h.afterBegin) {
        const f = h.afterBegin;
        h.afterBegin = undefined;
        await f(o);
      }
      return r;
    };
    Object.defineProperty(o, "ring", {
      configurable: true,
      get() {
        if (connecting && h.whileSigning) {
          const f = h.whileSigning;
          h.whileSigning = undefined;
          void f(o); // runs while onConnect awaits the signatures
        }
        return ring();
      },
    });
  });
}

/** Commits events through the real transaction + broadcast path, from inside the object. */
async function commitEvents(o: TenantObject, events: Emitted[]): Promise<void> {
  const b = await o.begin();
  if (!b.ok) throw new Error(b.error.code);
  const ctx = b.value;
  o.tx(ctx, () => events.forEach((e) => appendEvent(ctx, e.type, { sub: e.sub, sid: e.sid, ver: e.ver, reason: "test" })));
  await o.commit(ctx);
}

const seqOf = (m: any) => (typeof m === "string" ? JSON.parse(atob(m.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).warden.seq : m.seq);

async function read(sub: Awaited<ReturnType<typeof subscribe>>, n: number): Promise<any[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await sub.next());
  return out;
}

describe("a commit between accept and hello", () => {
  for (const format of ["json", "set"] as const) {
    it(`(${format}) is replayed once, after hello, never before it`, async () => {
      const t = await newTenant();
      const key = await apiKey(t);
      await runInDurableObject(stub(t), (o: TenantObject) => commitEvents(o, sessionEvents("u", 3)));
      await hookNextConnect(t, { afterBegin: (o) => commitEvents(o, sessionEvents("u", 2)) });
      const sub = await subscribe(t, { key, since: 1, format });
      const [h, ...events] = await read(sub, 5);
      expect(h).toMatchObject({ type: "hello", seq: 5 });
      expect(events.map(seqOf)).toEqual([2, 3, 4, 5]);
      expect(await sub.quiet(50)).toBeNull();
      sub.close();
    });
  }

  it("without since: covered by hello.seq, not sent", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await hookNextConnect(t, { afterBegin: (o) => commitEvents(o, sessionEvents("u", 2)) });
    const sub = await subscribe(t, { key });
    expect(await sub.next()).toMatchObject({ type: "hello", seq: 2 });
    expect(await sub.quiet(50)).toBeNull();
    sub.close();
  });
});

describe("a commit while the replay is being signed (format=set)", () => {
  it("is sent after the replay, once, in order", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await runInDurableObject(stub(t), (o: TenantObject) => commitEvents(o, sessionEvents("u", 20)));
    let done!: Promise<void>;
    await hookNextConnect(t, { whileSigning: (o) => (done = commitEvents(o, sessionEvents("u", 3))) });
    const sub = await subscribe(t, { key, since: 10, format: "set" });
    const [h, ...sets] = await read(sub, 14);
    await done;
    expect(h).toMatchObject({ type: "hello", seq: 20 });
    expect(sets.map(seqOf)).toEqual(Array.from({ length: 13 }, (_, i) => 11 + i));
    expect(await sub.quiet(50)).toBeNull();
    sub.close();
  });
});

describe("a user subscriber's credential that dies in the window", () => {
  it("gets hello, then close 4001", async () => {
    const t = await newTenant();
    const u = await signup(t);
    // Revoked without a broadcast: as if the broadcast went out just before this socket was registered.
    await hookNextConnect(t, {
      afterBegin: async (o) => {
        const b = await o.begin();
        if (!b.ok) return;
        const ctx = b.value;
        o.tx(ctx, () => revokeSession(ctx, getSession(ctx.sql, u.session_id)!, "logout"));
      },
    });
    const sub = await subscribe(t, { token: u.access_token });
    expect((await sub.next()).type).toBe("hello");
    expect((await sub.closed).code).toBe(4001);
  });
});
