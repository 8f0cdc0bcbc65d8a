/// <reference types="node" />
/**
 * @module Stateless verification in the client library (`createVerifier` from src/client, the
 * package's `warden/client`), in process, no HTTP: how many access tokens one core verifies per
 * second against the tenant's JWKS while its subscriber is live: once with its memory of
 * verified tokens (a resource server sees each token on many requests; `exp` and the pushed
 * revocations are still checked on every call), once with that memory off (`cacheSize: 0`: the
 * EdDSA signature is checked on every call).
 */
import WebSocket from "ws";
import { createVerifier, type VerifierOptions } from "../../../src/client/index.ts";
import type { Ctx } from "../context.ts";
import { percentile, type Row } from "../stats.ts";

export async function verify(c: Ctx, slug: string, key: string, tokens: string[]): Promise<Row[]> {
  return [await verifyWith(c, slug, key, tokens, undefined), await verifyWith(c, slug, key, tokens, 0)];
}

async function verifyWith(c: Ctx, slug: string, key: string, tokens: string[], cacheSize: number | undefined): Promise<Row> {
  // The `ws` package as the library's WebSocket (the fan-out's subscribers are raw clients: raw-ws.ts).
  // One retry of a request that failed on the network: Node's fetch can reuse a keep-alive
  // connection the server has just closed after the previous scenario's load, and the run of
  // 2026-12-01 lost both rows to one such "fetch failed".
  const fetchOnce: typeof fetch = (input, init) => fetch(input, init).catch(() => fetch(input, init));
  const v = createVerifier({ baseUrl: c.w.url, tenant: slug, apiKey: key, cacheSize, fetch: fetchOnce as VerifierOptions["fetch"], WebSocket: WebSocket as unknown as VerifierOptions["WebSocket"] });
  try {
    await v.ready;
    for (const t of tokens) {
      const r = await v.verify(t); // warm up, and prove they verify locally
      if (!r.active || r.via !== "local") throw new Error(`verifier: ${JSON.stringify(r)}`);
    }
    const durationMs = c.sizes.durationS * 1000;
    const lat: number[] = [];
    let n = 0;
    let bad = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      const t0 = performance.now();
      const r = await v.verify(tokens[n++ % tokens.length]);
      lat.push(performance.now() - t0);
      if (!r.active) bad++;
    }
    const rps = n / ((performance.now() - start) / 1000);
    return {
      scenario: `verify (client library${cacheSize === 0 ? ", cache off" : ""})`, system: "warden", rps, p50: percentile(lat, 50), p99: percentile(lat, 99), rss: null,
      target: "≥ 20,000/s per core", met: rps >= 20_000 && bad === 0,
      note: `in-process, one core, createVerifier, EdDSA, subscriber live, ${tokens.length} tokens in turn${cacheSize === 0 ? ", signature checked every call" : ""}${bad ? `; ${bad} FAILED` : ""}`,
    };
  } finally {
    v.close();
  }
}
