/// <reference types="node" />
/**
 * @module One tenant object's own capacity: introspection and refresh RPCs driven from inside
 * the Worker (the development-only `bench/rpc` admin route), so the local HTTP ingress of
 * `wrangler dev` — which caps even `GET /health` at a few hundred requests a second here — is
 * not what is measured. The driver runs in the same isolate as the object (wrangler dev runs
 * them together), so its own RPC work is counted against the object: a conservative number.
 */
import type { Ctx } from "../context.ts";
import { sampler } from "../proc.ts";
import type { Row } from "../stats.ts";
import { login, must, pool } from "../warden.ts";
import { SLUG } from "./http.ts";

const CONCURRENCY = 16;

interface RpcResult {
  count: number;
  ms: number;
  failures: number;
  p50: number;
  p99: number;
}

function row(scenario: string, r: RpcResult, rss: number, note: string): Row {
  const rps = (r.count / r.ms) * 1000;
  return {
    scenario, system: "warden", rps, p50: r.p50, p99: r.p99, rss, target: "≥ 2,000/s", met: rps >= 2000 && r.failures === 0,
    note: `${note}${r.failures ? `; ${r.failures} FAILED` : ""}`,
  };
}

export async function objectCapacity(c: Ctx, key: string, tokens: string[]): Promise<Row[]> {
  const count = Math.min(10_000, 2_000 * c.sizes.durationS);
  let mem = sampler(c.w.rss);
  const intro: RpcResult = await must(c.admin.call("POST", `/tenants/${SLUG}/bench/rpc`, { op: "introspect", api_key: key, tokens, count, concurrency: CONCURRENCY }), 200, "bench rpc introspect");
  const rows = [row("introspection (object, in-Worker RPC)", intro, mem.stop(), `${intro.count} RPCs, ${CONCURRENCY} in flight, ms resolution`)];
  const chains = await pool(Array.from({ length: CONCURRENCY }, (_, i) => `user${100 + i}`), 2, async (u) => (await login(c.w.url, SLUG, u)).refresh_token as string);
  mem = sampler(c.w.rss);
  const refresh: RpcResult = await must(c.admin.call("POST", `/tenants/${SLUG}/bench/rpc`, { op: "refresh", refresh_tokens: chains, count }), 200, "bench rpc refresh");
  rows.push(row("refresh (object, in-Worker RPC)", refresh, mem.stop(), `${refresh.count} rotations on ${CONCURRENCY} chains, ms resolution`));
  return rows;
}
