/// <reference types="node" />
/**
 * @module Revocation → event delivery: N service subscribers (API key with `subscribe`, every
 * event reaches every one of them) hold a WebSocket each; sessions are logged out one at a
 * time, and for each the time from sending `POST /logout` to each subscriber receiving the
 * `session.revoked` event is recorded.
 */
import type { Ctx } from "../context.ts";
import { sampler } from "../proc.ts";
import { closeRaw, OP, rawWebSocket, type RawSocket } from "../raw-ws.ts";
import { percentile, type Row } from "../stats.ts";
import { http, login, pool } from "../warden.ts";

/**
 * N service subscribers; each resolves after its `hello`. Every later text message reaches
 * `onMessage` unparsed, with the time its bytes were read (raw-ws.ts: the client's own parsing
 * is kept out of the timing).
 */
export async function openSubscribers(url: string, slug: string, key: string, n: number, onMessage: (payload: Buffer, at: number) => void): Promise<RawSocket[]> {
  return pool(Array.from({ length: n }, (_, i) => i), 50, async () => {
    let greeted = false;
    let onHello!: (ok: boolean) => void;
    const hello = new Promise<boolean>((resolve) => (onHello = resolve));
    const socket = await rawWebSocket(url, `/v1/${slug}/events`, { authorization: `Bearer ${key}` }, (f, at) => {
      if (f.op !== OP.text) return;
      if (greeted) return onMessage(f.payload, at);
      greeted = true;
      onHello(JSON.parse(String(f.payload)).type === "hello");
    });
    if (!(await hello)) throw new Error("the first message was not hello");
    return socket;
  });
}

export const closeAll = (sockets: RawSocket[]): Promise<unknown> => Promise.all(sockets.map((s) => closeRaw(s)));

export async function delivery(c: Ctx, slug: string, key: string, usernames: string[]): Promise<Row> {
  return fanOut(c, slug, key, await pool(usernames.slice(0, c.sizes.revocations), 2, async (u) => (await login(c.w.url, slug, u)).access_token as string));
}

/** The measured part: subscribers open, then each session's logout, one at a time. */
export async function fanOut(c: Ctx, slug: string, key: string, sessions: string[]): Promise<Row> {
  const lat: number[] = [];
  /** Per logout: when the first and the last subscriber got its event (the fan-out's spread). */
  const firsts: number[] = [];
  const lasts: number[] = [];
  /** Per logout: when its answer reached the client (after the fan-out: the broadcast precedes it). */
  const answered: number[] = [];
  let stray = 0;
  // Arrivals are only recorded while they come in; they are parsed and checked after each round.
  let got: { payload: Buffer; at: number }[] = [];
  let pending = 0;
  let wake: (() => void) | null = null;
  const subs = await openSubscribers(c.w.url, slug, key, c.sizes.subscribers, (payload, at) => {
    got.push({ payload, at });
    if (--pending === 0) wake?.();
  });
  const mem = sampler(c.w.rss);
  const started = performance.now();
  for (const token of sessions) {
    const sid = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sid as string;
    got = [];
    pending = subs.length;
    const all = new Promise<void>((resolve) => (wake = resolve));
    const t0 = performance.now();
    const r = await http(c.w.url, "POST", `/v1/${slug}/logout`, { token });
    if (r.status !== 204) throw new Error(`logout: ${r.status}`);
    answered.push(performance.now() - t0);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    let first = Infinity;
    let last = 0;
    for (const { payload, at } of got) {
      const e = JSON.parse(String(payload));
      if (e.type !== "session.revoked" || e.sid !== sid) {
        stray++;
        continue;
      }
      lat.push(at - t0);
      first = Math.min(first, at - t0);
      last = Math.max(last, at - t0);
    }
    firsts.push(first);
    lasts.push(last);
  }
  const elapsed = (performance.now() - started) / 1000;
  const rss = mem.stop();
  const expected = sessions.length * subs.length;
  await closeAll(subs);
  const p99 = percentile(lat, 99);
  return {
    scenario: `revocation → event (${subs.length} subs)`, system: "warden", rps: lat.length / elapsed, p50: percentile(lat, 50), p99, rss,
    target: "p99 ≤ 50 ms", met: p99 !== null && p99 <= 50 && lat.length === expected && !stray,
    note: `${sessions.length} logouts one at a time, ${lat.length}/${expected} deliveries (rate = deliveries/s); first subscriber p50 ${fmt(percentile(firsts, 50))} ms, last p50 ${fmt(percentile(lasts, 50))} ms, logout answered p50 ${fmt(percentile(answered, 50))} ms${stray ? `; ${stray} unexpected messages` : ""}`,
  };
}

const fmt = (v: number | null): string => (v === null ? "—" : v.toFixed(1));
