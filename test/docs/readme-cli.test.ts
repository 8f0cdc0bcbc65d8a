/// <reference types="node" />
/**
 * @module The README's examples, run as a reader runs them: the Quick start's first tenant and
 * sign-up (its `curl` block, verbatim but for the port), then every line of the Admin CLI block
 * in order, against a fresh server started as `npm start` starts it (test/e2e/server.ts). The
 * lines that follow a stream until Ctrl-C (`--follow`, `events`) must still be running, with
 * nothing on stderr, after a few seconds. Each snippet runs in a temporary directory (the export
 * writes its file there), whose `.dev.vars` holds the test server's token for the Quick start's
 * `grep`; the CLI gets the server from WARDEN_URL and WARDEN_ADMIN_TOKEN, never from the
 * project's own `.dev.vars`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PROJECT_ROOT } from "../../src/cli/project.ts";
import { useServer } from "../e2e/server.ts";

const README = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
const STREAM_MS = 3_000;

/** The fenced `sh` blocks of the section under `heading` (up to the next heading of any level). */
function shBlocks(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no ${heading}`);
  const rest = README.slice(start + heading.length + 2);
  const section = rest.slice(0, rest.search(/\n#{2,4} /) + 1 || undefined);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const server = useServer();
let cwd = "";

before(async () => {
  cwd = await mkdtemp(join(tmpdir(), "warden-readme-"));
  await writeFile(join(cwd, ".dev.vars"), `ADMIN_TOKEN=${server.adminToken}\n`, { mode: 0o600 });
});
after(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The timer stopped it: it was still running. */
  stopped: boolean;
  stdout: string;
  stderr: string;
}

/**
 * `script` under sh in the temporary directory, `npx warden` being the project's bin (an `npx`
 * outside the project would look for the package on the registry). With `streamMs`, the
 * script is stopped after that long and must not have ended by itself.
 */
function sh(script: string, streamMs?: number): Promise<Run> {
  const preamble = `npx() { if [ "$1" = warden ]; then shift; exec node "${join(PROJECT_ROOT, "src", "cli", "warden.js")}" "$@"; fi; command npx "$@"; }\n`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("WARDEN_") && key !== "PORT"));
  const child = spawn("sh", ["-c", preamble + script.replaceAll("localhost:8787", new URL(server.url).host)], {
    cwd,
    env: {
      ...clean,
      PATH: `${join(PROJECT_ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      WARDEN_URL: server.url,
      WARDEN_ADMIN_TOKEN: server.adminToken,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  let stopped = false;
  const timer = setTimeout(() => ((stopped = true), child.kill("SIGTERM")), streamMs ?? 60_000);
  return new Promise((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stopped, stdout, stderr });
    });
  });
}

test("the Quick start creates acme and signs ada up, then every Admin CLI example runs, in order", async () => {
  const quick = shBlocks("## Quick start").find((block) => block.includes("grep ADMIN_TOKEN .dev.vars"));
  assert.ok(quick, "the Quick start's curl block");
  const first = await sh(`set -e\n${quick}`);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /"slug":"acme"/);
  assert.match(first.stdout, /"email":"ada@example\.com"/);

  const [cli] = shBlocks("### Admin CLI");
  const lines = cli.split("\n").filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
  assert.ok(lines.length >= 20, "the block lists the commands");
  for (const line of lines) {
    assert.doesNotMatch(line, /<[a-z-]+>|\|[a-z]/, `${line}: a placeholder the reader cannot run`);
    const streams = /--follow|warden events /.test(line);
    const r = await sh(line, streams ? STREAM_MS : undefined);
    const what = `${line}\nexit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    if (streams) assert.ok(r.stopped, `still running after ${STREAM_MS} ms: ${what}`);
    else assert.ok(!r.stopped && r.code === 0, what);
    assert.doesNotMatch(r.stderr, /error/i, what);
  }
});
