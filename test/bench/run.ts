/// <reference types="node" />
/**
 * @module `npm run bench`: starts Warden as `npm start` does, drives it over
 * HTTP (autocannon) and WebSocket (ws) from this process, and prints one table: throughput,
 * p50, p99 and the peak RSS of the workerd process tree for each scenario, with the
 * performance targets. The load generator and the server share this machine's cores.
 *
 *   npm run bench                          full run (a 1,000,000-user tenant; see README)
 *   npm run bench -- --quick               the same scenarios, smaller, in under 2 minutes
 *   npm run bench -- --json                the rows as JSON on stdout (progress on stderr)
 *   npm run bench -- --vs better-auth      also Better Auth (Node + SQLite), same hash cost
 *   npm run bench -- --only login,verify   a subset (names: see SCENARIOS)
 *   npm run bench -- --only app-size,two-tabs   the app client's rows (chromium for two-tabs)
 *   npm run bench -- --split               every row with the tenant objects in a workerd
 *                                          process of their own (npm start --split)
 */
import { availableParallelism, cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { FULL, QUICK, type Ctx } from "./context.ts";
import { alarmExpiry } from "./scenarios/alarm.ts";
import { closeHandshake } from "./scenarios/close.ts";
import { delivery } from "./scenarios/events.ts";
import { accessTokens, hashTimeMs, health, introspection, loginScenario, refresh, setup, signup, SLUG } from "./scenarios/http.ts";
import { objectCapacity } from "./scenarios/object.ts";
import { scale } from "./scenarios/scale.ts";
import { appPage, appSize, twoTabSignOut } from "./scenarios/sdk.ts";
import { storm } from "./scenarios/storm.ts";
import { verify } from "./scenarios/verify.ts";
import { versus } from "./scenarios/vs.ts";
import { foreignCpu } from "./proc.ts";
import type { Row } from "./stats.ts";
import { renderTable } from "./table.ts";
import { Admin, startWarden } from "./warden.ts";

const SCENARIOS = ["health", "signup", "login", "refresh", "introspection", "object", "verify", "events", "close", "storm", "scale", "alarm", "app-size", "two-tabs"] as const;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    vs: { type: "string" },
    only: { type: "string" },
    split: { type: "boolean", default: false },
  },
});
if (values.vs !== undefined && values.vs !== "better-auth") {
  console.error(`--vs: only "better-auth" is supported, got ${JSON.stringify(values.vs)}`);
  process.exit(2);
}
const only = values.only ? new Set(values.only.split(",")) : null;
for (const o of only ?? []) {
  if (!(SCENARIOS as readonly string[]).includes(o)) {
    console.error(`--only: unknown scenario ${JSON.stringify(o)}; one of ${SCENARIOS.join(", ")}`);
    process.exit(2);
  }
}
const wants = (s: (typeof SCENARIOS)[number]) => !only || only.has(s);

const sizes = values.quick ? QUICK : FULL;
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;
const log = (msg: string) => console.error(`[bench ${elapsed()}] ${msg}`);

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: availableParallelism(),
  memory_gib: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};

async function main(): Promise<void> {
  log(`${values.quick ? "quick" : "full"} run on ${machine.cores} cores (${machine.cpu}), ${machine.memory_gib} GiB; load generator and server share the cores`);
  const foreign = foreignCpu();
  // The two-tab page's origin must be in Warden's ALLOWED_ORIGINS before it starts.
  const page = wants("two-tabs") ? await appPage() : null;
  const w = await startWarden({ split: values.split, vars: page ? { ALLOWED_ORIGINS: page.origin } : {} });
  log(`warden up at ${w.url}`);
  // Ctrl-C: take wrangler (its own process group) down with us.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void w.stop().finally(() => process.exit(130)));
  const rows: Row[] = [];
  const run = async (name: string, f: () => Promise<Row | Row[]>) => {
    log(`${name}...`);
    let r: Row | Row[];
    try {
      r = await f();
    } catch (e) {
      // One broken scenario must not cost the others' numbers.
      log(`  ${name} FAILED: ${(e as Error).stack ?? e}`);
      r = { scenario: name, system: "warden", rps: null, p50: null, p99: null, rss: null, met: false, note: `FAILED: ${(e as Error).message}` };
    }
    for (const row of Array.isArray(r) ? r : [r]) {
      rows.push(row);
      log(`  ${row.scenario} [${row.system}]: ${row.rps?.toFixed(1) ?? "—"}/s p50 ${row.p50?.toFixed(2) ?? "—"} ms p99 ${row.p99?.toFixed(2) ?? "—"} ms ${row.note ?? ""}`);
    }
  };
  try {
    const c: Ctx = { w, admin: new Admin(w), sizes, log };
    const { key } = await setup(c);
    const tokens = await accessTokens(c, SLUG, Array.from({ length: 16 }, (_, i) => `user${i * 61}`));
    if (wants("health")) await run("health", () => health(c));
    if (wants("signup")) await run("signup", () => signup(c));
    if (wants("login")) {
      // Measured right before, so that both see the same machine.
      const hashMs = await hashTimeMs();
      log(`argon2id (m=19456, t=2, p=1) in this process: ${hashMs.toFixed(1)} ms a hash`);
      await run("login", () => loginScenario(c, hashMs));
    }
    if (wants("refresh")) await run("refresh", () => refresh(c));
    if (wants("introspection")) await run("introspection", () => introspection(c, key, tokens));
    if (wants("verify")) await run("verify", () => verify(c, SLUG, key, tokens));
    // The storm before the thousand subscribers, whose teardown disturbs workerd for a while.
    if (wants("storm")) {
      await run("storm", () => storm(c, key, tokens));
      // The same storm with the objects out of the router's process, as deployed.
      await run("storm (split)", async () => {
        const w2 = await startWarden({ split: true });
        try {
          const c2: Ctx = { w: w2, admin: new Admin(w2), sizes, log };
          const { key: k2 } = await setup(c2);
          const t2 = await accessTokens(c2, SLUG, Array.from({ length: 16 }, (_, i) => `user${i * 61}`));
          return await storm(c2, k2, t2, true);
        } finally {
          await w2.stop();
        }
      });
    }
    if (wants("events")) await run("events", () => delivery(c, SLUG, key, Array.from({ length: 200 }, (_, i) => `user${500 + i}`)));
    if (wants("close")) await run("close", () => closeHandshake(c, SLUG, Array.from({ length: values.quick ? 2 : 6 }, (_, i) => `user${900 + i}`)));
    if (values.vs) await run("vs better-auth", () => versus(c, key));
    if (wants("scale")) await run("scale", () => scale(c));
    if (wants("alarm")) await run("alarm", () => alarmExpiry(c));
    if (wants("app-size")) await run("app-size", () => appSize());
    if (wants("two-tabs")) await run("two-tabs", () => twoTabSignOut(c, page!.origin));
    // Last: one admin request carrying thousands of RPCs swells workerd's heap for a while.
    if (wants("object")) await run("object", () => objectCapacity(c, key, tokens));
  } finally {
    await w.stop();
    page?.close();
  }
  const took = (performance.now() - began) / 1000;
  const others = foreign.stop();
  if (values.json) {
    console.log(JSON.stringify({ machine, mode: values.quick ? "quick" : "full", duration_s: Math.round(took), foreign_cpu_cores: Number(others.toFixed(2)), rows }, null, 2));
    return;
  }
  console.log("");
  console.log(renderTable(rows));
  console.log("");
  console.log(`Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory_gib} GiB, ${machine.platform}, Node ${machine.node}. The load generator`);
  console.log("(autocannon and the WebSocket clients, in this process) and the server (npm start's Miniflare → workerd) share these cores.");
  console.log(`Mode: ${values.quick ? "quick" : "full"}; took ${Math.round(took)} s. RSS: peak of the workerd processes (Better Auth: its Node process).`);
  console.log(`Other processes on the machine used ${others.toFixed(2)} cores on average during the run.`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench failed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
