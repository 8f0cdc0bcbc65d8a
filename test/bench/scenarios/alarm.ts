/// <reference types="node" />
/**
 * @module The alarm expiring N sessions (in batches per run) while introspection on the same
 * tenant is measured: every request's latency is kept with its start time, so the percentiles
 * cover exactly the window between the first and the last `session.expired` event, as seen by
 * one service subscriber. Two samplers run side by side at the same pace: HTTP (through
 * `wrangler dev`, whose own p99 is ~50 ms here before any alarm) and paced RPCs from inside
 * the Worker (`bench/rpc` with `rate`), which see what the object itself does to a request.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Ctx } from "../context.ts";
import { sampler } from "../proc.ts";
import { percentile, type Row } from "../stats.ts";
import { http } from "../warden.ts";
import { accessTokens } from "./http.ts";
import { closeAll, openSubscribers } from "./events.ts";
import { label } from "./scale.ts";

const RATE = 200;
const WORKERS = 4;

/** Paced in-Worker introspection RPCs, in chunks of this long, until stopped. */
const RPC_CHUNK_S = 2;

interface Sample {
  /** Epoch ms at the call's start. */
  at: number;
  ms: number;
  ok: boolean;
}

export async function alarmExpiry(c: Ctx): Promise<Row[]> {
  const slug = "t-expiry";
  const n = c.sizes.expiring;
  await c.admin.tenant(slug);
  const key = await c.admin.apiKey(slug, ["introspect", "subscribe"]);
  // Sessions due a little after seeding ends (seeding runs at roughly 5,000 rows a second).
  const ttlS = Math.ceil(n / 4_000) + 10;
  const t0 = performance.now();
  await c.admin.seed(slug, { users: 100, sessions: n, prefix: "user", sessionTtlS: ttlS });
  const seededAfterS = (performance.now() - t0) / 1000;
  c.log(`  ${slug}: ${n.toLocaleString("en")} sessions seeded in ${seededAfterS.toFixed(1)} s, due in ${ttlS} s`);
  if (seededAfterS > ttlS) c.log("  warning: seeding outlasted the sessions' lifetime; the alarm started during seeding");
  const tokens = await accessTokens(c, slug, ["user1", "user2", "user3", "user4"]);

  let expired = 0;
  let first = 0;
  let last = 0;
  const subs = await openSubscribers(c.w.url, slug, key, 1, (payload, at) => {
    if (JSON.parse(String(payload)).type !== "session.expired") return;
    if (!expired++) first = performance.timeOrigin + at;
    last = performance.timeOrigin + at;
  });
  const samples: Sample[] = [];
  const rpcSamples: Sample[] = [];
  let stop = false;
  const mem = sampler(c.w.rss);
  const gap = (1000 * WORKERS) / RATE;
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    let k = w;
    while (!stop) {
      const at = performance.now();
      const r = await http(c.w.url, "POST", `/v1/${slug}/introspect`, { token: key, body: { token: tokens[k++ % tokens.length] } });
      const ms = performance.now() - at;
      samples.push({ at: performance.timeOrigin + at, ms, ok: r.status === 200 && r.body.active === true });
      await sleep(Math.max(0, gap - ms));
    }
  });
  const rpc = (async () => {
    while (!stop) {
      const r = await c.admin.call("POST", `/tenants/${slug}/bench/rpc`, { op: "introspect", api_key: key, tokens, count: RATE * RPC_CHUNK_S, concurrency: 1, rate: RATE });
      if (r.status !== 200) throw new Error(`bench rpc (paced) answered ${r.status}`);
      const failed = r.body.failures > 0;
      for (const [at, ms] of r.body.samples as [number, number][]) rpcSamples.push({ at, ms, ok: !failed });
    }
  })();
  const deadline = performance.now() + (ttlS - seededAfterS + 120 + n / 500) * 1000;
  while (expired < n && performance.now() < deadline) await sleep(100);
  await sleep(1_000);
  stop = true;
  await Promise.all([...workers, rpc]);
  const rss = mem.stop();
  await closeAll(subs);
  const windowS = (last - first) / 1000;
  const progress = `${expired.toLocaleString("en")}/${n.toLocaleString("en")} expired in ${windowS.toFixed(1)} s (${Math.round(expired / Math.max(windowS, 0.001))}/s)`;
  const measure = (all: Sample[], scenario: string, note: string): Row => {
    const during = all.filter((s) => s.at >= first && s.at <= last);
    const lat = during.map((s) => s.ms);
    const p99 = percentile(lat, 99);
    const bad = during.filter((s) => !s.ok).length;
    // The same requests in the seconds before the first expiry: the noise floor.
    const before = all.filter((s) => s.at < first).map((s) => s.ms);
    return {
      scenario, system: "warden",
      rps: during.length / Math.max(windowS, 0.001), p50: percentile(lat, 50), p99, rss,
      target: "p99 ≤ 50 ms", met: p99 !== null && p99 <= 50 && expired === n && bad === 0,
      note: `${note}; ${RATE}/s offered; before the alarm: p50 ${fmt(percentile(before, 50))}, p99 ${fmt(percentile(before, 99))} ms${bad ? `; ${bad} FAILED` : ""}`,
    };
  };
  return [
    measure(samples, `introspection while alarm expires ${label(n)}`, progress),
    measure(rpcSamples, `introspection while alarm expires ${label(n)} (object, in-Worker RPC)`, "paced RPCs beside the HTTP ones, ms resolution"),
  ];
}

const fmt = (v: number | null): string => (v === null ? "—" : v.toFixed(1));
