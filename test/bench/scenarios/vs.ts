/// <reference types="node" />
/**
 * @module `--vs better-auth`: the comparable scenarios against Better Auth (Node, SQLite, the
 * same argon2id cost, the same durability), started by the harness on the same machine in the
 * same run: sign-up, sign-in, the session check at 16 and at 64 connections, each in three
 * rounds that alternate which system goes first (runs here vary by ±20 %), reported as the
 * median with the spread and the ratio of each round; and revoke-other-sessions then check,
 * with how long a revoked session stays usable.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findFreePort } from "../../../src/cli/dev-server.ts";
import type { Ctx } from "../context.ts";
import { load } from "../load.ts";
import { serverMeter, treeCpuMs, treeRss } from "../proc.ts";
import { median, percentile, type Row } from "../stats.ts";
import { http, PASSWORD } from "../warden.ts";
import { failures, SLUG } from "./http.ts";

const SERVER = new URL("../better-auth/server.ts", import.meta.url).pathname;

interface BetterAuth {
  url: string;
  rss(): number;
  cpu(): number;
  stop(): Promise<void>;
}

async function startBetterAuth(): Promise<BetterAuth> {
  const dir = await mkdtemp(join(tmpdir(), "warden-bench-ba-"));
  const port = await findFreePort();
  const proc: ChildProcess = spawn(process.execPath, [SERVER, String(port), join(dir, "auth.db")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BETTER_AUTH_TELEMETRY: "0", NODE_ENV: "production" },
  });
  let out = "";
  proc.stderr!.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
    proc.once("exit", (code) => reject(new Error(`better-auth server exited (${code}): ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    rss: () => treeRss(proc.pid!),
    cpu: () => treeCpuMs(proc.pid!),
    async stop() {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Better Auth's sign-in, returning the bearer token (the plugin's `set-auth-token`). */
async function baSignIn(url: string, email: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: url }, body: JSON.stringify({ email, password: PASSWORD }) });
  await res.text();
  const t = res.headers.get("set-auth-token");
  if (res.status !== 200 || !t) throw new Error(`better-auth sign-in: ${res.status}`);
  return t;
}

async function baSessionActive(url: string, token: string): Promise<boolean> {
  const res = await fetch(`${url}/api/auth/get-session`, { headers: { authorization: `Bearer ${token}`, origin: url } });
  const body = await res.text();
  return res.status === 200 && body !== "null";
}

/** Rounds of every comparison; the systems alternate which goes first from round to round. */
const ROUNDS = 3;

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  rss: number | null;
  cpu: number | null;
}

/** One row from the rounds of one system: the medians, with the spread in the note. */
function summarise(scenario: string, system: Row["system"], samples: Sample[], what: string, ratios?: number[]): Row {
  const rps = samples.map((x) => x.rps);
  const spread = `${Math.round(Math.min(...rps)).toLocaleString("en")}–${Math.round(Math.max(...rps)).toLocaleString("en")}/s`;
  const fails = samples.reduce((n, x) => n + x.failures, 0);
  const ratioNote = ratios?.length ? `; W/BA per round ${ratios.map((r) => `×${r.toFixed(2)}`).join(" ")}` : "";
  return {
    scenario,
    system,
    rps: median(rps),
    p50: median(samples.map((x) => x.p50)),
    p99: median(samples.map((x) => x.p99)),
    rss: Math.max(0, ...samples.map((x) => x.rss ?? 0)) || null,
    cpu: median(samples.flatMap((x) => (x.cpu === null ? [] : [x.cpu]))),
    note: failures(fails, `${what}; median of ${samples.length} rounds, spread ${spread}${ratioNote}`),
  };
}

export async function versus(c: Ctx, key: string): Promise<Row[]> {
  const ba = await startBetterAuth();
  try {
    const d = c.sizes.durationS;
    const emails: Record<string, string[]> = { warden: [], "better-auth": [] };
    const sys = {
      warden: { url: c.w.url, rss: c.w.rss, cpu: c.w.cpu, signup: `/v1/${SLUG}/signup`, signin: `/v1/${SLUG}/login` },
      "better-auth": { url: ba.url, rss: ba.rss, cpu: ba.cpu, signup: "/api/auth/sign-up/email", signin: "/api/auth/sign-in/email" },
    } as const;
    type Name = keyof typeof sys;
    const samples = new Map<string, Sample[]>();
    const keep = (k: string, x: Sample) => samples.set(k, [...(samples.get(k) ?? []), x]);
    let n = 0;
    const measure = async (name: Name, spec: Omit<Parameters<typeof load>[0], "url" | "durationS">): Promise<Sample> => {
      const meter = serverMeter(sys[name]);
      const r = await load({ url: sys[name].url, durationS: d, ...spec });
      return { ...r, ...meter.stop(r.requests) };
    };
    const signUp = (name: Name) =>
      measure(name, {
        connections: 2, method: "POST", path: sys[name].signup, headers: { origin: sys[name].url },
        body: () => {
          const email = `vs-${name}-${n++}@bench.invalid`;
          if (emails[name].length < 64) emails[name].push(email);
          return JSON.stringify(name === "warden" ? { email, password: PASSWORD } : { email, password: PASSWORD, name: "Bench" });
        },
      });
    let m = 0;
    const signIn = (name: Name) =>
      measure(name, {
        connections: 1, method: "POST", path: sys[name].signin, headers: { origin: sys[name].url },
        body: () => {
          const email = emails[name][m++ % Math.min(emails[name].length, 32)];
          return JSON.stringify(name === "warden" ? { login: email, password: PASSWORD } : { email, password: PASSWORD });
        },
      });
    // Session check: Warden's consistent check is introspection; Better Auth's is get-session.
    let wTokens: string[] = [];
    let bTokens: string[] = [];
    let inactive = 0;
    let k = 0;
    const check = (name: Name, connections: number) =>
      name === "warden"
        ? measure(name, {
            connections, method: "POST", path: `/v1/${SLUG}/introspect`, headers: { authorization: `Bearer ${key}` },
            body: () => JSON.stringify({ token: wTokens[k++ % wTokens.length] }),
          })
        : measure(name, {
            connections, method: "GET", path: "/api/auth/get-session",
            headers: { authorization: `Bearer ${bTokens[0]}`, origin: ba.url },
            onResponse: (status, body) => void (status === 200 && body === "null" && inactive++),
          });

    const scenarios: [string, (name: Name) => Promise<Sample>][] = [
      ["vs: sign-up", signUp],
      ["vs: sign-in", signIn],
      ["vs: session check (16)", (name) => check(name, 16)],
      ["vs: session check (64)", (name) => check(name, 64)],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order, so neither system always runs on a machine the other just warmed.
      const order: Name[] = round % 2 === 0 ? ["warden", "better-auth"] : ["better-auth", "warden"];
      for (const [scenario, run] of scenarios) {
        if (scenario.startsWith("vs: session check") && !wTokens.length) {
          wTokens = await Promise.all(emails.warden.slice(0, 8).map(async (e) => (await http(c.w.url, "POST", `/v1/${SLUG}/login`, { body: { login: e, password: PASSWORD } })).body.access_token as string));
          for (const e of emails["better-auth"].slice(0, 8)) bTokens.push(await baSignIn(ba.url, e));
        }
        for (const name of order) {
          const x = await run(name);
          if (name === "better-auth" && scenario.startsWith("vs: session check")) x.failures += inactive, (inactive = 0);
          keep(`${scenario}|${name}`, x);
          c.log(`  round ${round + 1} ${scenario} [${name}]: ${x.rps.toFixed(0)}/s p50 ${x.p50.toFixed(2)} ms`);
        }
      }
    }

    const rows: Row[] = [];
    const what: Record<string, [string, string]> = {
      "vs: sign-up": ["2 connections", "2 connections"],
      "vs: sign-in": ["1 connection", "1 connection"],
      "vs: session check (16)": ["POST /introspect, 16 connections", "GET /get-session, 16 connections"],
      "vs: session check (64)": ["POST /introspect, 64 connections", "GET /get-session, 64 connections"],
    };
    for (const [scenario] of scenarios) {
      const w = samples.get(`${scenario}|warden`)!;
      const b = samples.get(`${scenario}|better-auth`)!;
      const ratios = w.map((x, i) => x.rps / b[i].rps);
      rows.push({ ...summarise(scenario, "warden", w, what[scenario][0], ratios), target: "≥ 1.0× Better Auth", met: (median(ratios) ?? 0) >= 1 });
      rows.push(summarise(scenario, "better-auth", b, what[scenario][1]));
    }
    rows.push(await revokeThenCheck(c, "warden", key, emails.warden[0], ba.url));
    rows.push(await revokeThenCheck(c, "better-auth", key, emails["better-auth"][0], ba.url));
    return rows;
  } finally {
    await ba.stop();
  }
}

/**
 * Two sessions of one user; from the second, revoke the first ("revoke other sessions"),
 * then check the first at once and keep checking until it is refused: how long it stayed
 * usable after the revoking call returned.
 */
async function revokeThenCheck(c: Ctx, name: "warden" | "better-auth", key: string, email: string, baUrl: string): Promise<Row> {
  const rounds = c.sizes.quick ? 5 : 20;
  const revokeMs: number[] = [];
  let usableMax = 0;
  let usableChecks = 0;
  for (let i = 0; i < rounds; i++) {
    let revoke: () => Promise<void>;
    let active: () => Promise<boolean>;
    if (name === "warden") {
      const login = async () => (await http(c.w.url, "POST", `/v1/${SLUG}/login`, { body: { login: email, password: PASSWORD } })).body;
      const a = await login();
      const b = await login();
      revoke = async () => {
        const r = await http(c.w.url, "DELETE", `/v1/${SLUG}/sessions/${a.session_id}`, { token: b.access_token });
        if (r.status !== 204) throw new Error(`DELETE /sessions: ${r.status}`);
      };
      active = async () => (await http(c.w.url, "POST", `/v1/${SLUG}/introspect`, { token: key, body: { token: a.access_token } })).body.active === true;
    } else {
      const a = await baSignIn(baUrl, email);
      const b = await baSignIn(baUrl, email);
      revoke = async () => {
        const r = await fetch(`${baUrl}/api/auth/revoke-other-sessions`, { method: "POST", headers: { authorization: `Bearer ${b}`, "content-type": "application/json", origin: baUrl }, body: "{}" });
        await r.text();
        if (r.status !== 200) throw new Error(`revoke-other-sessions: ${r.status}`);
      };
      active = () => baSessionActive(baUrl, a);
    }
    if (!(await active())) throw new Error(`${name}: the session to revoke is not active`);
    const t0 = performance.now();
    await revoke();
    const done = performance.now();
    revokeMs.push(done - t0);
    while (await active()) {
      usableChecks++;
      if (performance.now() - done > 10_000) break;
      await sleep(5);
    }
    usableMax = Math.max(usableMax, usableChecks ? performance.now() - done : 0);
  }
  return {
    scenario: "vs: revoke other → check", system: name, rps: null, p50: percentile(revokeMs, 50), p99: percentile(revokeMs, 99), rss: null,
    note: `revoke call latency; revoked session usable after 2xx: ${usableChecks === 0 ? "never (first check refused)" : `${usableChecks} checks, up to ${usableMax.toFixed(0)} ms`} (${rounds} rounds)`,
  };
}
