/// <reference types="node" />
/**
 * @module Where a request's time goes inside workerd: starts Warden as the bench does, with
 * workerd's V8 inspector open (`WARDEN_INSPECT_PORT`, src/cli/local-server.ts), drives one
 * scenario with autocannon while the inspector's `Profiler` samples the Worker's isolate (the
 * router and the tenant objects share it locally), and prints the functions and the files
 * that took the most self time. A tool for finding costs, not a benchmark: sampling slows the
 * isolate, so its request rate is not comparable with `npm run bench`'s.
 *
 *   node test/bench/profile.ts [introspection|refresh|health|events] [--seconds N] [--out FILE.cpuprofile]
 *
 * `events` runs the bench's fan-out instead (1,000 subscribers, 50 logouts one at a time;
 * `--seconds` does not apply) and also prints the longest garbage collections. Every
 * scenario prints the isolate's heap before and after: used, and live after a full collection.
 *
 * A `.cpuprofile` opens in Chromium's DevTools (Performance panel) for the whole tree.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { findFreePort } from "../../src/cli/dev-server.ts";
import { load, type LoadSpec } from "./load.ts";
import { FULL, type Ctx } from "./context.ts";
import { fanOut } from "./scenarios/events.ts";
import { accessTokens, refreshLoad, setup, SLUG } from "./scenarios/http.ts";
import { Admin, http, must, startWarden } from "./warden.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: "string", default: "8" }, out: { type: "string" }, connections: { type: "string", default: "16" } },
});
const scenario = positionals[0] ?? "introspection";
if (!["introspection", "refresh", "health", "events"].includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
const seconds = Number(values.seconds);

const inspectPort = await findFreePort();
process.env.WARDEN_INSPECT_PORT = String(inspectPort);
const w = await startWarden();
try {
  const admin = new Admin(w);
  const slug = "prof";
  await must(admin.call("POST", "/tenants", { slug, name: "Profile", settings: { password: { hash: "pbkdf2-sha256" }, rate_limits: { signup: { limit: 100_000, window_s: 1 }, login: { limit: 100_000, window_s: 1 } } } }), 201, "tenant");
  const key = await admin.apiKey(slug, ["introspect"]);
  const users = await Promise.all(Array.from({ length: 16 }, (_, i) => must(http(w.url, "POST", `/v1/${slug}/signup`, { body: { email: `p${i}@example.com`, password: "profile correct horse battery" } }), 201, "signup")));

  // The Worker's isolate is the inspector target named after the service ("warden").
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { id: string; title: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.title === "warden" || t.id.includes("warden")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  let seq = 0;
  const pending = new Map<number, (r: any) => void>();
  ws.on("message", (d) => {
    const m = JSON.parse(String(d));
    if (m.id && pending.has(m.id)) pending.get(m.id)!(m.result);
  });
  const send = (method: string, params: object = {}) => new Promise<any>((resolve) => {
    const id = ++seq;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });

  // The fan-out's sessions are logged in before the profiler starts (argon2id would fill it).
  const c: Ctx = { w, admin, sizes: FULL, log: () => {} };
  const fanOutSetup = scenario === "events" ? await (async () => {
    const { key: subscribeKey } = await setup(c);
    return { key: subscribeKey, tokens: await accessTokens(c, SLUG, Array.from({ length: FULL.revocations }, (_, i) => `user${500 + i}`)) };
  })() : null;
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  // The isolate's heap, and what of it is live (after a full collection), before and after.
  // workerd hands inspector messages to the isolate when it next runs: once the load stops, an
  // idle isolate leaves them waiting, so a request to /health every half second wakes it.
  const heap = async (): Promise<string> => {
    const nudge = setInterval(() => void fetch(`${w.url}/health`).then((r) => r.body?.cancel(), () => {}), 500);
    try {
      const used = async () => (((await send("Runtime.getHeapUsage")).usedSize as number) / 2 ** 20).toFixed(1);
      const before = await used();
      await send("HeapProfiler.collectGarbage");
      return `${before} MiB used, ${await used()} MiB live`;
    } finally {
      clearInterval(nudge);
    }
  };
  const heapBefore = await heap();
  await send("Profiler.start");
  const tokens = users.map((u) => u.access_token as string);
  const refresh = users.map((u) => u.refresh_token as string);
  let i = 0;
  const loadRun = async (spec: LoadSpec) => {
    const l = await load(spec);
    return { rps: l.rps, detail: `${l.failures} failures` };
  };
  const r = scenario === "events"
    ? await fanOut(c, SLUG, fanOutSetup!.key, fanOutSetup!.tokens).then((row) => ({ rps: row.rps ?? 0, detail: `p99 ${row.p99?.toFixed(1)} ms; ${row.note}` }))
    : scenario === "health"
      ? await loadRun({ url: w.url, connections: Number(values.connections), durationS: seconds, method: "GET", path: "/health" })
      : scenario === "introspection"
        ? await loadRun({ url: w.url, connections: Number(values.connections), durationS: seconds, method: "POST", path: `/v1/${slug}/introspect`, headers: { authorization: `Bearer ${key}` }, body: () => JSON.stringify({ token: tokens[i++ % tokens.length] }) })
        : await loadRun(refreshLoad(w.url, slug, refresh, Number(values.connections), seconds));
  const { profile } = await send("Profiler.stop");
  const heapAfter = await heap();
  ws.close();
  if (values.out) await writeFile(values.out, JSON.stringify(profile));

  const nodes = profile.nodes as ProfileNode[];
  const total = nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const file = n.callFrame.url.split("/").slice(-2).join("/") || "(native)";
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    byFile.set(file, (byFile.get(file) ?? 0) + hits);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, h]) => `${((100 * h) / total).toFixed(1).padStart(5)} %  ${name}`).join("\n");
  console.log(`${scenario}: ${r.rps.toFixed(0)}/s under the profiler (${r.detail}), ${total} samples`);
  console.log(`heap before: ${heapBefore}; after: ${heapAfter}`);
  if (scenario === "events") console.log(`longest garbage collections (ms): ${longestGc(profile, nodes).join(", ")}`);
  console.log(`\nself time by function:\n${top(byFn, 40)}\n\nself time by file:\n${top(byFile, 15)}`);
} finally {
  await w.stop();
}

/** The longest runs of consecutive garbage-collector samples, in ms. */
function longestGc(profile: { samples: number[]; timeDeltas: number[] }, nodes: ProfileNode[]): string[] {
  const gc = new Set(nodes.filter((n) => n.callFrame.functionName === "(garbage collector)").map((n) => n.id));
  const runs: number[] = [];
  let run = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if (gc.has(profile.samples[i])) run += profile.timeDeltas[i + 1] ?? 0;
    else if (run) (runs.push(run / 1000), (run = 0));
  }
  return runs.sort((a, b) => b - a).slice(0, 5).map((ms) => ms.toFixed(1));
}
