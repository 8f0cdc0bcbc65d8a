/// <reference types="node" />
/**
 * @module The alarm expiring N sessions (in batches of 500 per run) while introspection on the
 * same tenant is measured: every request's latency is kept with its start time, so the
 * percentiles cover exactly the window between the first and the last `session.expired`
 * event, as seen by one service subscriber.
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

export async function alarmExpiry(c: Ctx): Promise<Row> {
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
  const subs = await openSubscribers(c.w.url, slug, key, 1, (e, at) => {
    if (e.type !== "session.expired") return;
    if (!expired++) first = at;
    last = at;
  });
  const samples: { at: number; ms: number; ok: boolean }[] = [];
  let stop = false;
  const mem = sampler(c.w.rss);
  const gap = (1000 * WORKERS) / RATE;
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    let k = w;
    while (!stop) {
      const at = performance.now();
      const r = await http(c.w.url, "POST", `/v1/${slug}/introspect`, { token: key, body: { token: tokens[k++ % tokens.length] } });
      const ms = performance.now() - at;
      samples.push({ at, ms, ok: r.status === 200 && r.body.active === true });
      await sleep(Math.max(0, gap - ms));
    }
  });
  const deadline = performance.now() + (ttlS - seededAfterS + 120 + n / 500) * 1000;
  while (expired < n && performance.now() < deadline) await sleep(100);
  await sleep(1_000);
  stop = true;
  await Promise.all(workers);
  const rss = mem.stop();
  await closeAll(subs);
  const during = samples.filter((s) => s.at >= first && s.at <= last);
  const lat = during.map((s) => s.ms);
  const p99 = percentile(lat, 99);
  const windowS = (last - first) / 1000;
  const bad = during.filter((s) => !s.ok).length;
  // The same requests in the seconds before the first expiry: the local noise floor.
  const before = samples.filter((s) => s.at < first).map((s) => s.ms);
  return {
    scenario: `introspection while alarm expires ${label(n)}`, system: "warden",
    rps: during.length / Math.max(windowS, 0.001), p50: percentile(lat, 50), p99, rss,
    target: "p99 ≤ 50 ms", met: p99 !== null && p99 <= 50 && expired === n && bad === 0,
    note: `${expired.toLocaleString("en")}/${n.toLocaleString("en")} expired in ${windowS.toFixed(1)} s (${Math.round(expired / Math.max(windowS, 0.001))}/s); ${RATE}/s offered; before the alarm: p50 ${fmt(percentile(before, 50))}, p99 ${fmt(percentile(before, 99))} ms${bad ? `; ${bad} FAILED` : ""}`,
  };
}

const fmt = (v: number | null): string => (v === null ? "—" : v.toFixed(1));
