/// <reference types="node" />
/**
 * @module One tenant of a million users and a million sessions against one of a thousand:
 * login latency and introspection throughput and latency on each. Both are seeded through
 * the tenant object (the development-only seed route), in batches.
 */
import type { Ctx } from "../context.ts";
import type { Row } from "../stats.ts";
import { accessTokens, introspection, loginScenarioOn } from "./http.ts";

export async function scale(c: Ctx): Promise<Row[]> {
  const small = "t-1k";
  const big = `t-${label(c.sizes.bigUsers).toLowerCase()}`;
  const rows: Row[] = [];
  const results: Record<string, { login: Row; introspect: Row }> = {};
  for (const [slug, n] of [[small, 1_000], [big, c.sizes.bigUsers]] as const) {
    await c.admin.tenant(slug);
    const t = performance.now();
    let shown = 0;
    await c.admin.seed(slug, {
      users: n, sessions: n, prefix: "user",
      onProgress: (done) => {
        if (done - shown >= 100_000) (shown = done, c.log(`  ${slug}: ${done.toLocaleString("en")} users seeded`));
      },
    });
    const seedS = (performance.now() - t) / 1000;
    c.log(`  ${slug}: ${n.toLocaleString("en")} users and sessions seeded in ${seedS.toFixed(1)} s`);
    const key = await c.admin.apiKey(slug, ["introspect"]);
    // Users spread over the whole id and name range, so lookups touch the whole index.
    const picks = Array.from({ length: 16 }, (_, i) => `user${Math.floor(((i + 0.5) / 16) * n)}`);
    const tokens = await accessTokens(c, slug, picks);
    const login = await loginScenarioOn(c, slug, n, `login, ${label(n)} users`);
    const introspect = await introspection(c, key, tokens, { slug, scenario: `introspection, ${label(n)} users` });
    results[slug] = { login, introspect };
    rows.push({ ...login, target: undefined, met: null, note: `${login.note}; seeded in ${seedS.toFixed(0)} s` }, { ...introspect, target: undefined, met: null });
  }
  const s = results[small];
  const b = results[big];
  const loginRatio = b.login.p50! / s.login.p50!;
  const introRatio = b.introspect.p50! / s.introspect.p50!;
  const introP99 = b.introspect.p99! / s.introspect.p99!;
  rows[2] = { ...rows[2], target: "p50 within 1.5× of 1k", met: loginRatio <= 1.5, note: `${rows[2].note}; p50 ×${loginRatio.toFixed(2)} vs 1k` };
  rows[3] = { ...rows[3], target: "p50 within 1.5× of 1k", met: introRatio <= 1.5, note: `${rows[3].note}; p50 ×${introRatio.toFixed(2)}, p99 ×${introP99.toFixed(2)} vs 1k` };
  return rows;
}

export const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : String(n));
