/// <reference types="node" />
/**
 * @module `--vs better-auth`: the comparable scenarios against Better Auth (Node, SQLite, the
 * same argon2id cost), started by the harness on the same machine in the same run: sign-up,
 * sign-in, session check, and revoke-other-sessions then check, with how long a revoked
 * session stays usable.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findFreePort } from "../../../src/cli/dev-server.ts";
import type { Ctx } from "../context.ts";
import { load } from "../load.ts";
import { sampler, treeRss } from "../proc.ts";
import { percentile, type Row } from "../stats.ts";
import { http, PASSWORD } from "../warden.ts";
import { failures, SLUG } from "./http.ts";

const SERVER = new URL("../better-auth/server.ts", import.meta.url).pathname;

interface BetterAuth {
  url: string;
  rss(): number;
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

export async function versus(c: Ctx, key: string): Promise<Row[]> {
  const ba = await startBetterAuth();
  const rows: Row[] = [];
  try {
    const d = c.sizes.durationS;
    const conns = c.sizes.connections;
    const emails: Record<string, string[]> = { warden: [], "better-auth": [] };
    const sys = {
      warden: { url: c.w.url, rss: c.w.rss, signup: `/v1/${SLUG}/signup`, signin: `/v1/${SLUG}/login` },
      "better-auth": { url: ba.url, rss: ba.rss, signup: "/api/auth/sign-up/email", signin: "/api/auth/sign-in/email" },
    } as const;

    for (const name of ["warden", "better-auth"] as const) {
      const s = sys[name];
      let n = 0;
      let mem = sampler(s.rss);
      const origin = { origin: s.url };
      const up = await load({
        url: s.url, connections: 2, durationS: d, method: "POST", path: s.signup, headers: origin,
        body: () => {
          const email = `vs-${name}-${n++}@bench.invalid`;
          return JSON.stringify(name === "warden" ? { email, password: PASSWORD } : { email, password: PASSWORD, name: "Bench" });
        },
      });
      emails[name] = Array.from({ length: Math.min(n, 64) }, (_, i) => `vs-${name}-${i}@bench.invalid`);
      rows.push({ scenario: "vs: sign-up", system: name, ...up, rss: mem.stop(), note: failures(up.failures, "2 connections") });

      let m = 0;
      mem = sampler(s.rss);
      const inn = await load({
        url: s.url, connections: 1, durationS: d, method: "POST", path: s.signin, headers: origin,
        body: () => {
          const email = emails[name][m++ % Math.min(emails[name].length, 32)];
          return JSON.stringify(name === "warden" ? { login: email, password: PASSWORD } : { email, password: PASSWORD });
        },
      });
      rows.push({ scenario: "vs: sign-in", system: name, ...inn, rss: mem.stop(), note: failures(inn.failures, "1 connection") });
    }

    // Session check: Warden's consistent check is introspection; Better Auth's is get-session.
    const wTokens = await Promise.all(emails.warden.slice(0, 8).map(async (e) => (await http(c.w.url, "POST", `/v1/${SLUG}/login`, { body: { login: e, password: PASSWORD } })).body.access_token as string));
    const bTokens: string[] = [];
    for (const e of emails["better-auth"].slice(0, 8)) bTokens.push(await baSignIn(ba.url, e));
    let k = 0;
    let mem = sampler(c.w.rss);
    const wc = await load({
      url: c.w.url, connections: conns, durationS: d, method: "POST", path: `/v1/${SLUG}/introspect`, headers: { authorization: `Bearer ${key}` },
      body: () => JSON.stringify({ token: wTokens[k++ % wTokens.length] }),
    });
    rows.push({ scenario: "vs: session check", system: "warden", ...wc, rss: mem.stop(), note: failures(wc.failures, `POST /introspect, ${conns} connections`) });
    let inactive = 0;
    mem = sampler(ba.rss);
    const bc = await load({
      url: ba.url, connections: conns, durationS: d, method: "GET", path: "/api/auth/get-session",
      headers: { authorization: `Bearer ${bTokens[0]}`, origin: ba.url },
      onResponse: (status, body) => void (status === 200 && body === "null" && inactive++),
    });
    rows.push({ scenario: "vs: session check", system: "better-auth", ...bc, rss: mem.stop(), note: failures(bc.failures + inactive, `GET /get-session, ${conns} connections`) });

    rows.push(await revokeThenCheck(c, "warden", key, emails.warden[0], ba.url));
    rows.push(await revokeThenCheck(c, "better-auth", key, emails["better-auth"][0], ba.url));
  } finally {
    await ba.stop();
  }
  return rows;
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
