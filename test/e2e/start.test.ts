/// <reference types="node" />
/**
 * @module `npm start` never outlives itself: killed with SIGKILL (a crash, an OOM kill, a
 * closed terminal), its watcher takes the runtime along; and when even the watcher is gone,
 * the next start on that port finds the run record, reaps what was left and serves.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { findFreePort } from "../../src/cli/dev-server.ts";
import { childPids } from "../../src/cli/local-server.ts";
import { PROJECT_ROOT } from "../../src/cli/project.ts";
import { pidFilePath } from "../../src/cli/reaper.ts";
import { runCli } from "./cli.ts";

let dir: string;
let envFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-start-"));
  envFile = join(dir, "secrets.env");
  await writeFile(envFile, `ADMIN_TOKEN=${randomBytes(32).toString("hex")}\nMASTER_KEY=${randomBytes(32).toString("base64")}\n`);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * `node src/cli/start.ts` as `npm start` runs it, isolated; resolves once it says it serves.
 * `banner`: without --quiet, as a developer sees it; `output()` is everything it printed.
 */
async function start(port: number, o: { banner?: boolean } = {}): Promise<ChildProcess & { output(): string }> {
  const args = [join(PROJECT_ROOT, "src/cli/start.ts"), "--port", String(port), "--persist-to", join(dir, "state"), "--env-file", envFile];
  const proc = spawn(process.execPath, o.banner ? args : [...args, "--quiet"], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (c) => (out += c));
  proc.stderr!.on("data", (c) => (out += c));
  const ready = o.banner ? /^Press Ctrl-C to stop\./m : /^ready http/m;
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) assert.fail(`start.ts exited with ${proc.exitCode}:\n${out}`);
    if (ready.test(out) && (await healthy(port))) return Object.assign(proc, { output: () => out });
    await sleep(100);
  }
  proc.kill("SIGKILL");
  assert.fail(`start.ts did not serve within 60 s:\n${out}`);
}

/** SIGTERM, then the exit; a server that does not stop within 15 s fails the test. */
async function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  proc.kill("SIGTERM");
  const code = await Promise.race([exited, sleep(15_000, "timeout" as const)]);
  if (code === "timeout") {
    proc.kill("SIGKILL");
    assert.fail("start.ts did not stop within 15 s of SIGTERM");
  }
  return code;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (let i = 0; i < ms / 50; i++) {
    if (await cond()) return true;
    await sleep(50);
  }
  return cond();
}

test("SIGKILL of npm start takes workerd along, and the next start on the port serves", async () => {
  const port = await findFreePort();
  const first = await start(port);
  const runtime = childPids(first.pid!, /workerd/);
  assert.ok(runtime.length > 0, "workerd runs under start.ts");
  first.kill("SIGKILL");
  assert.ok(await until(() => runtime.every((p) => !alive(p)), 10_000), "workerd is gone after its owner was killed");
  assert.equal(await healthy(port), false);

  const second = await start(port);
  await stop(second);
  assert.ok(!(await healthy(port)));
});

test("a run whose owner and watcher were both killed is reaped by the next start", async () => {
  const port = await findFreePort();
  const first = await start(port);
  const runtime = childPids(first.pid!, /workerd/);
  const watcher = childPids(first.pid!, /node.* -e /);
  assert.equal(watcher.length, 1, "one watcher process");
  // Watcher first, so nothing is left to take workerd along: the state a pid file is for.
  process.kill(watcher[0], "SIGKILL");
  first.kill("SIGKILL");
  await sleep(300);
  assert.ok(runtime.every(alive), "workerd outlived both");
  assert.ok(await healthy(port), "and still holds the port");

  const second = await start(port);
  assert.ok(runtime.every((p) => !alive(p)), "the stale workerd was reaped");
  await stop(second);
  // A clean stop leaves no record behind.
  await assert.rejects(import("node:fs/promises").then((fs) => fs.readFile(pidFilePath(port))));
});

test("a second start on a port whose server is alive is refused, and the first keeps serving", async () => {
  const port = await findFreePort();
  const first = await start(port);
  const second = spawn(process.execPath, [join(PROJECT_ROOT, "src/cli/start.ts"), "--port", String(port), "--env-file", envFile, "--quiet"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  second.stderr!.on("data", (c) => (err += c));
  const code = await new Promise<number | null>((r) => second.once("exit", r));
  assert.equal(code, 1);
  assert.match(err, /already running on port/);
  assert.ok(await healthy(port));
  await stop(first);
});

test("npm start logs each request once, and shows the admin token with the way to print it again", async () => {
  const port = await findFreePort();
  const server = await start(port, { banner: true });
  try {
    const token = /^ADMIN_TOKEN=(.*)$/m.exec(await readFile(envFile, "utf8"))![1];
    assert.match(server.output(), new RegExp(`Admin token: ${token}`), "the token of the env file it runs with");
    assert.match(server.output(), new RegExp(`npx warden token --port ${port}`));

    const id = `once-${randomBytes(6).toString("hex")}`;
    await fetch(`http://127.0.0.1:${port}/health`, { headers: { "x-request-id": id } });
    await fetch(`http://127.0.0.1:${port}/v1/admin/tenants`, { headers: { "x-request-id": `${id}-admin`, authorization: `Bearer ${token}` } });
    await sleep(1_000);
    const count = (needle: string) => server.output().split("\n").filter((line) => line.includes(needle)).length;
    assert.equal(count(`"${id}"`), 1, server.output());
    assert.equal(count(`"${id}-admin"`), 1, server.output());
    assert.doesNotMatch(server.output(), /\[wrangler:info\]|GET \/health 200/, "no second access log from the runtime");

    const printed = await runCli(["token", "--port", String(port)]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout, `${token}\n`, "the token alone, for TOKEN=$(npx warden token)");
    assert.equal(printed.stderr, "");
    const json = JSON.parse((await runCli(["token", "--port", String(port), "--json"])).stdout);
    assert.deepEqual(json, { admin_token: token, source: envFile, port, running: true });
  } finally {
    await stop(server);
  }
});

test("npx warden token says so when the server was given its token with --var", async () => {
  const port = await findFreePort();
  const proc = spawn(process.execPath, [join(PROJECT_ROOT, "src/cli/start.ts"), "--port", String(port), "--persist-to", join(dir, "state"), "--env-file", envFile, "--var", "ADMIN_TOKEN:from-the-command-line-0123456789", "--quiet"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  try {
    assert.ok(await until(() => healthy(port), 60_000), "it serves");
    const printed = await runCli(["token", "--port", String(port)]);
    assert.equal(printed.code, 1);
    assert.equal(printed.stdout, "");
    assert.match(printed.stderr, /given its ADMIN_TOKEN with --var/);
  } finally {
    await stop(proc);
  }
});
