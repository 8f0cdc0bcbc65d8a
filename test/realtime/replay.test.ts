/**
 * Resuming with `?since={seq}`: the retained events after `seq`, in order, before live ones,
 * with no gap and no duplicate even while events keep arriving; `reset` for a cursor the log
 * can no longer serve (trimmed by the alarm after `retention.events_hours`, ahead of the log,
 * or too far behind to replay).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { REPLAY_MAX } from "../../objects/tenant/flows/subscribers.ts";
import { apiKey, newTenant, signup, stub } from "../helpers.ts";
import { emit, sessionEvents } from "./emit.ts";
import { hello, subscribe, type Subscriber } from "./ws.ts";

afterEach(() => clock.reset());

/** Reads messages until one with seq `last` (or a timeout), returning them all. */
async function until(sub: Subscriber, last: number): Promise<any[]> {
  const got: any[] = [];
  for (;;) {
    const m = await sub.next(3000);
    got.push(m);
    if (m.seq === last && m.type !== "hello" && m.type !== "reset") return got;
  }
}

describe("replay with since", () => {
  it("replays every event after since, in order, then goes live", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    const sub0 = (await signup(t)).user.id;
    await emit(t, sessionEvents(sub0, 5));
    const { sub, hello: h } = await hello(t, { key, since: 2 });
    expect(h.seq).toBe(5);
    const replayed = [await sub.next(), await sub.next(), await sub.next()];
    expect(replayed.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(replayed[0]).toMatchObject({ type: "session.revoked", sub: sub0, sid: "sid-2", tenant: t });
    await emit(t, sessionEvents(sub0, 1));
    expect((await sub.next()).seq).toBe(6);
    expect(await sub.quiet(50)).toBeNull();
    sub.close();
  });

  it("since = the latest seq replays nothing; since = 0 replays the whole log", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await emit(t, sessionEvents("u", 3));
    const a = await hello(t, { key, since: 3 });
    expect(await a.sub.quiet(50)).toBeNull();
    const b = await hello(t, { key, since: 0 });
    expect((await until(b.sub, 3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    a.sub.close();
    b.sub.close();
  });

  it("a user subscriber's replay holds only its own user's events", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await emit(t, [
      { type: "session.revoked", sub: "someone-else", sid: "x" },
      { type: "session.revoked", sub: u.user.id, sid: "old-session" },
      { type: "key.rotated", sub: t },
      { type: "user.disabled", sub: "someone-else", ver: 2 },
    ]);
    const { sub, hello: h } = await hello(t, { token: u.access_token, since: 0 });
    expect(h.seq).toBe(4);
    expect(await sub.next()).toMatchObject({ seq: 2, sub: u.user.id, sid: "old-session" });
    expect(await sub.quiet(50)).toBeNull();
    sub.close();
  });

  it("no gap, no duplicate, strictly increasing while events arrive during and after the replay", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await emit(t, sessionEvents("u", 200));
    for (const format of ["json", "set"] as const) {
      const start = (await hello(t, { key })).hello.seq;
      // connects while batches of events commit concurrently
      const bursts = Array.from({ length: 10 }, () => emit(t, sessionEvents("u", 5)));
      const [sub] = await Promise.all([subscribe(t, { key, since: start - 150, format }), ...bursts]);
      const last = start + 50;
      const seqs: number[] = [];
      let sawHello = false;
      for (;;) {
        const m = await sub.next(3000);
        if (typeof m === "object" && m.type === "hello") {
          expect(seqs).toEqual([]);
          sawHello = true;
          continue;
        }
        const seq = format === "set" ? JSON.parse(atob(m.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).warden.seq : m.seq;
        seqs.push(seq);
        if (seq === last) break;
      }
      expect(sawHello).toBe(true);
      expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => start - 150 + 1 + i));
      // and live after that, still contiguous
      await emit(t, sessionEvents("u", 1));
      const live = await sub.next();
      expect(format === "set" ? typeof live : live.seq).toBe(format === "set" ? "string" : last + 1);
      sub.close();
    }
  });

  it("events committed while a user subscriber connects are neither lost nor doubled", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await emit(t, sessionEvents(u.user.id, 20));
    const bursts = Array.from({ length: 5 }, () => emit(t, sessionEvents(u.user.id, 4)));
    const [sub] = await Promise.all([subscribe(t, { token: u.access_token, since: 10 }), ...bursts]);
    expect((await sub.next()).type).toBe("hello");
    expect((await until(sub, 40)).map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 11 + i));
    sub.close();
  });
});

describe("reset", () => {
  it("a cursor older than the retained log gets reset (trimmed by the alarm after events_hours)", async () => {
    const t = await newTenant({ retention: { events_hours: 1 } });
    const key = await apiKey(t);
    const u = await signup(t);
    await emit(t, sessionEvents(u.user.id, 3));
    clock.advance(2 * 3_600_000);
    await emit(t, sessionEvents(u.user.id, 1)); // seq 4, fresh
    expect(await runDurableObjectAlarm(stub(t))).toBe(true);
    // 1..3 are gone: since=1 would need 2 and 3
    const old = await hello(t, { key, since: 1 });
    expect(old.hello.seq).toBe(4);
    expect(await old.sub.next()).toEqual({ type: "reset", seq: 4 });
    expect(await old.sub.quiet(50)).toBeNull();
    // since=3 needs only 4, which is retained
    const fine = await hello(t, { key, since: 3 });
    expect(await fine.sub.next()).toMatchObject({ seq: 4, type: "session.revoked" });
    old.sub.close();
    fine.sub.close();
  });

  it("the alarm keeps the newest event, so seq never restarts", async () => {
    const t = await newTenant({ retention: { events_hours: 1 } });
    const key = await apiKey(t);
    await emit(t, sessionEvents("u", 3));
    clock.advance(2 * 3_600_000);
    await runDurableObjectAlarm(stub(t));
    const { sub, hello: h } = await hello(t, { key, since: 3 });
    expect(h.seq).toBe(3);
    expect(await emit(t, sessionEvents("u", 1))).toEqual([4]);
    expect((await sub.next()).seq).toBe(4);
    sub.close();
  });

  it("a cursor ahead of the log (e.g. another deployment's) gets reset", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await emit(t, sessionEvents("u", 2));
    const { sub } = await hello(t, { key, since: 99 });
    expect(await sub.next()).toEqual({ type: "reset", seq: 2 });
    await emit(t, sessionEvents("u", 1));
    expect((await sub.next()).seq).toBe(3);
    sub.close();
  });

  it(`a cursor more than ${REPLAY_MAX} events behind gets reset instead of a replay that would stall the object`, async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await emit(t, sessionEvents("u", REPLAY_MAX + 5));
    const far = await hello(t, { key, since: 2 });
    expect(await far.sub.next()).toEqual({ type: "reset", seq: REPLAY_MAX + 5 });
    const near = await hello(t, { key, since: 5 });
    expect((await near.sub.next()).seq).toBe(6);
    far.sub.close();
    near.sub.close();
  });
});
