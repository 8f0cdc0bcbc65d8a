/// <reference types="node" />
/**
 * @module The local server's stand-in for the rate-limiting binding: the same `limit({key})`
 * API and the production binding's in-memory behaviour (a fixed window per key), put into the
 * Worker's own isolate by the entry module `npm start` wraps around the bundle, so the
 * router's per-IP shield works locally without a Durable Object write per request.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { localEntry } from "../../src/cli/local-server.ts";

const CALLER = `export default {
  async fetch(req, env) {
    const key = new URL(req.url).searchParams.get("key");
    if (!key) return new Response(env.GREETING);
    const { success } = await env.IP_LIMITER.limit({ key });
    return new Response(String(success));
  },
};`;

test("the local rate limit allows `limit` calls per key and period, then refuses, per key", async () => {
  const mf = new Miniflare(convertV4MiniflareOptions({
    workers: [{
      name: "caller",
      modules: [
        { type: "ESModule", path: "local-entry.mjs", contents: localEntry({ IP_LIMITER: { simple: { limit: 3, period: 60 } } }, "./caller.mjs") },
        { type: "ESModule", path: "caller.mjs", contents: CALLER },
      ],
      bindings: { GREETING: "hello" },
      compatibilityDate: "2026-11-01",
    }],
  } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]));
  try {
    // The Worker's own bindings are still there beside the limiter.
    assert.equal(await (await mf.dispatchFetch("http://x/")).text(), "hello");
    const call = async (key: string) => (await (await mf.dispatchFetch(`http://x/?key=${key}`)).text()) === "true";
    const a = [await call("1.2.3.4"), await call("1.2.3.4"), await call("1.2.3.4"), await call("1.2.3.4")];
    assert.deepEqual(a, [true, true, true, false]);
    // Another key has its own window.
    assert.equal(await call("2001:db8::/64"), true);
    assert.equal(await call("1.2.3.4"), false);
  } finally {
    await mf.dispose();
  }
});
