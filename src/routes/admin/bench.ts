/**
 * @module `POST /v1/admin/tenants/{slug}/bench/rpc` (development only): drives one tenant
 * object with `count` introspection or refresh RPCs from inside the Worker, `concurrency` at a
 * time, and reports their throughput and latency. With `rate`, introspection is paced instead
 * (call i starts at i / rate s, whether or not earlier ones have answered) and the answer
 * carries each call's start (epoch ms) and latency, so the harness can pick a time window. `npm run bench` uses it to measure what one
 * object sustains (the performance targets are per tenant object) apart from the local HTTP ingress
 * of `wrangler dev`, which on a small machine saturates long before the object does. Behind
 * the ADMIN_TOKEN, and 404 unless ENVIRONMENT is "development" (checked per request).
 */
import { Hono } from "hono";
import { z } from "zod";
import { AuthError } from "../../errors.ts";
import { RESERVED_SLUGS, SLUG_RE } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { readBody } from "../../http/body.ts";
import { noStore } from "../../http/helpers.ts";

export const benchRoutes = new Hono<AppEnv>();

const rpcBody = z.discriminatedUnion("op", [
  z.strictObject({
    op: z.literal("introspect"),
    api_key: z.string().max(200),
    tokens: z.array(z.string().max(8192)).min(1).max(64),
    count: z.number().int().min(1).max(20_000),
    concurrency: z.number().int().min(1).max(64),
    rate: z.number().int().min(1).max(5_000).optional(),
  }),
  z.strictObject({
    op: z.literal("refresh"),
    /** One refresh chain per concurrent caller; the answer carries each chain's newest token. */
    refresh_tokens: z.array(z.string().max(512)).min(1).max(64),
    count: z.number().int().min(1).max(20_000),
  }),
]);

benchRoutes.post("/tenants/:slug/bench/rpc", async (c) => {
  if (c.env.ENVIRONMENT !== "development") throw new AuthError("not_found");
  const slug = c.req.param("slug");
  if (!SLUG_RE.test(slug) || RESERVED_SLUGS.has(slug)) throw new AuthError("tenant_not_found");
  const b = await readBody(c, rpcBody, { maxBytes: 1024 * 1024 });
  const stub = c.env.TENANT.getByName(slug);
  if (b.op === "introspect" && b.rate) {
    const started = Date.now();
    const samples: [number, number][] = [];
    let failures = 0;
    await Promise.all(Array.from({ length: b.count }, async (_, i) => {
      await scheduler.wait(Math.max(0, started + (i * 1000) / b.rate! - Date.now()));
      const at = Date.now();
      const x = (await stub.introspect({ apiKey: b.api_key, token: b.tokens[i % b.tokens.length] })) as { ok: boolean; value?: { active: boolean } };
      samples.push([at, Date.now() - at]);
      if (!x.ok || !x.value?.active) failures++;
      (x as { [Symbol.dispose]?: () => void })[Symbol.dispose]?.();
    }));
    return noStore(c, { count: samples.length, ms: Date.now() - started, failures, samples });
  }
  const chains = b.op === "refresh" ? [...b.refresh_tokens] : [];
  const callers = b.op === "refresh" ? chains.length : b.concurrency;
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: callers }, async (_, w) => {
    while (next < b.count) {
      const i = next++;
      const t = Date.now();
      let r: object;
      if (b.op === "introspect") {
        const x = (await stub.introspect({ apiKey: b.api_key, token: b.tokens[i % b.tokens.length] })) as { ok: boolean; value?: { active: boolean } };
        if (!x.ok || !x.value?.active) failures++;
        r = x;
      } else {
        const x = (await stub.refresh({ refreshToken: chains[w], meta: { ip: "127.0.0.1", userAgent: "warden-bench" } })) as { ok: boolean; value?: { refresh_token: string } };
        if (x.ok && x.value) chains[w] = x.value.refresh_token;
        else failures++;
        r = x;
      }
      latencies.push(Date.now() - t);
      // An RPC result holds runtime resources until disposed or until this (long) request ends.
      (r as { [Symbol.dispose]?: () => void })[Symbol.dispose]?.();
    }
  }));
  const ms = Date.now() - started;
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  return noStore(c, { count: latencies.length, ms, failures, p50: pct(50), p99: pct(99), ...(b.op === "refresh" ? { refresh_tokens: chains } : {}) });
});
