/// <reference types="node" />
/**
 * @module Revocation → event delivery: N service subscribers (API key with `subscribe`, every
 * event reaches every one of them) hold a WebSocket each; sessions are logged out one at a
 * time, and for each the time from sending `POST /logout` to each subscriber receiving the
 * `session.revoked` event is recorded.
 */
import WebSocket from "ws";
import type { Ctx } from "../context.ts";
import { sampler } from "../proc.ts";
import { percentile, type Row } from "../stats.ts";
import { http, login, pool } from "../warden.ts";

export async function openSubscribers(url: string, slug: string, key: string, n: number, onEvent: (e: any, at: number) => void): Promise<WebSocket[]> {
  const wsUrl = `${url.replace(/^http/, "ws")}/v1/${slug}/events`;
  return pool(Array.from({ length: n }, (_, i) => i), 50, () => new Promise<WebSocket>((resolve, reject) => {
    // No compression, no UTF-8 re-validation: the receiving side is part of what is timed, and
    // it shares the machine's cores with the server.
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${key}` }, perMessageDeflate: false, skipUTF8Validation: true });
    let hello = false;
    ws.on("message", (data) => {
      const at = performance.now();
      if (!hello) {
        hello = true;
        return resolve(ws);
      }
      onEvent(JSON.parse(String(data)), at);
    });
    ws.on("error", reject);
    ws.on("unexpected-response", (_req, res) => reject(new Error(`subscriber refused: ${res.statusCode}`)));
  }));
}

export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once("close", () => resolve());
    ws.close();
    setTimeout(() => (ws.terminate(), resolve()), 2_000).unref();
  })));
}

export async function delivery(c: Ctx, slug: string, key: string, usernames: string[]): Promise<Row> {
  const sessions = await pool(usernames.slice(0, c.sizes.revocations), 2, async (u) => (await login(c.w.url, slug, u)).access_token as string);
  const sent = new Map<string, number>();
  const lat: number[] = [];
  /** Per logout: when the first and the last subscriber got its event (the fan-out's spread). */
  const firsts: number[] = [];
  const lasts: number[] = [];
  let first = Infinity;
  let last = 0;
  let pending = 0;
  let wake: (() => void) | null = null;
  const subs = await openSubscribers(c.w.url, slug, key, c.sizes.subscribers, (e, at) => {
    const t0 = e.sid ? sent.get(e.sid) : undefined;
    if (e.type !== "session.revoked" || t0 === undefined) return;
    lat.push(at - t0);
    first = Math.min(first, at - t0);
    last = Math.max(last, at - t0);
    if (--pending === 0) wake?.();
  });
  const mem = sampler(c.w.rss);
  const started = performance.now();
  for (const token of sessions) {
    const sid = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sid as string;
    pending = subs.length;
    first = Infinity;
    last = 0;
    const all = new Promise<void>((resolve) => (wake = resolve));
    sent.set(sid, performance.now());
    const r = await http(c.w.url, "POST", `/v1/${slug}/logout`, { token });
    if (r.status !== 204) throw new Error(`logout: ${r.status}`);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 10_000))]);
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
    target: "p99 ≤ 50 ms", met: p99 !== null && p99 <= 50 && lat.length === expected,
    note: `${sessions.length} logouts one at a time, ${lat.length}/${expected} deliveries (rate = deliveries/s); first subscriber p50 ${fmt(percentile(firsts, 50))} ms, last p50 ${fmt(percentile(lasts, 50))} ms`,
  };
}

const fmt = (v: number | null): string => (v === null ? "—" : v.toFixed(1));
