/// <reference types="node" />
/**
 * @module The local server's stand-in for the rate-limiting binding: the same `limit({key})`
 * API and the production binding's in-memory behaviour (a fixed window per key), put into the
 * Worker's own isolate by the entry module `npm start` wraps around the bundle, so the
 * router's per-IP shield works locally without a Durable Object write per request; and the
 * V8 flags it gives workerd.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import WebSocket from "ws";
import { findFreePort } from "../../src/cli/dev-server.ts";
import { LOCAL_V8_FLAGS, localEntry, localV8Flags } from "../../src/cli/local-server.ts";

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

test("the local server's V8 flags: its own unless MINIFLARE_WORKERD_V8_FLAGS is set, even empty", () => {
  assert.equal(localV8Flags({}), LOCAL_V8_FLAGS);
  assert.equal(localV8Flags({ MINIFLARE_WORKERD_V8_FLAGS: "--max-old-space-size=64" }), "--max-old-space-size=64");
  assert.equal(localV8Flags({ MINIFLARE_WORKERD_V8_FLAGS: "" }), "");
});

/** A Worker that makes ~10 MB of short-lived objects per request, as a broadcast's send path does. */
const GARBAGE = `export default { fetch() {
  let keep = [];
  for (let i = 0; i < 200000; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 1000) keep = []; }
  return new Response("done");
} };`;

/** The heap workerd's isolate has committed after one such request, read through its V8 inspector. */
async function committedHeap(flags: string): Promise<number> {
  const before = process.env.MINIFLARE_WORKERD_V8_FLAGS;
  process.env.MINIFLARE_WORKERD_V8_FLAGS = flags;
  const inspectorPort = await findFreePort();
  const mf = new Miniflare(convertV4MiniflareOptions({
    inspectorPort,
    workers: [{ name: "w", modules: [{ type: "ESModule", path: "w.mjs", contents: GARBAGE }], compatibilityDate: "2026-11-01" }],
  } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]));
  try {
    await mf.ready;
    assert.equal(await (await mf.dispatchFetch("http://x/")).text(), "done");
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { title: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.title.endsWith("core:user:w"));
    assert.ok(target, `no inspector target for the Worker among ${targets.map((t) => t.title).join(", ")}`);
    const ws = new WebSocket(target.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    const usage = await new Promise<{ totalSize: number }>((resolve) => {
      ws.once("message", (data) => resolve(JSON.parse(String(data)).result));
      ws.send(JSON.stringify({ id: 1, method: "Runtime.getHeapUsage" }));
    });
    ws.close();
    return usage.totalSize;
  } finally {
    await mf.dispose();
    if (before === undefined) delete process.env.MINIFLARE_WORKERD_V8_FLAGS;
    else process.env.MINIFLARE_WORKERD_V8_FLAGS = before;
  }
}

test("workerd gets the flags: with them the isolate's young generation is 16 MiB from the first scavenge", async () => {
  const ours = await committedHeap(LOCAL_V8_FLAGS);
  const v8Default = await committedHeap("");
  // V8's default young generation starts at 1 MiB a semi-space and grows after scavenges.
  assert.ok(ours >= 16 * 2 ** 20, `committed ${ours} bytes with ${LOCAL_V8_FLAGS}`);
  assert.ok(v8Default < 12 * 2 ** 20, `committed ${v8Default} bytes with V8's defaults`);
});
