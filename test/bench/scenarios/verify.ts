/// <reference types="node" />
/**
 * @module Stateless verification by a resource server, in process (no HTTP): how many access
 * tokens one core verifies per second against the tenant's JWKS. Measured with jose's
 * `jwtVerify` over `createLocalJWKSet` (what the client library does for the signature and
 * claims), since the client library has not landed on this branch yet.
 */
import { createLocalJWKSet, jwtVerify } from "jose";
import type { Ctx } from "../context.ts";
import { percentile, type Row } from "../stats.ts";
import { http } from "../warden.ts";

export async function verify(c: Ctx, slug: string, tokens: string[]): Promise<Row> {
  const jwks = createLocalJWKSet((await http(c.w.url, "GET", `/v1/${slug}/.well-known/jwks.json`)).body);
  const issuer = `${c.w.url}/v1/${slug}`;
  const check = (t: string) => jwtVerify(t, jwks, { issuer, audience: slug, typ: "at+jwt", algorithms: ["EdDSA"] });
  for (const t of tokens) await check(t); // warm up, and prove they verify
  const durationMs = c.sizes.durationS * 1000;
  const lat: number[] = [];
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    const t0 = performance.now();
    await check(tokens[n++ % tokens.length]);
    lat.push(performance.now() - t0);
  }
  const rps = n / ((performance.now() - start) / 1000);
  return {
    scenario: "verify (client, JWKS)", system: "warden", rps, p50: percentile(lat, 50), p99: percentile(lat, 99), rss: null,
    target: "≥ 20,000/s per core", met: rps >= 20_000, note: "in-process, one core, jose jwtVerify + local JWKS (EdDSA)",
  };
}
