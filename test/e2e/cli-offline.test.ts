/// <reference types="node" />
/** @module The parts of the CLI that need no server: `.dev.vars`, NDJSON import chunks, URLs. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ensureDevVars, parseDevVars } from "../../src/cli/dev-server.ts";
import { ndjsonChunks } from "../../src/cli/admin/ndjson-chunks.ts";
import { eventsUrl } from "../../src/cli/admin/commands/events.ts";
import { adminUrl } from "../../src/cli/admin/http.ts";
import { openPrivateFile } from "../../src/cli/admin/commands/transfer.ts";
import { maskSecrets } from "../../src/cli/admin/commands/tenants.ts";
import { localAdminToken } from "../../src/cli/admin/commands/token.ts";
import { writeRunRecord } from "../../src/cli/reaper.ts";
import { finished } from "node:stream/promises";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

async function* pieces(...texts: string[]) {
  for (const text of texts) yield Buffer.from(text);
}

test("ensureDevVars creates .dev.vars with random secrets, mode 0600", async () => {
  const dir = await mkdtemp(join(tmpdir(), "warden-devvars-"));
  try {
    const first = ensureDevVars(dir);
    assert.equal(first.created, true);
    assert.match(first.vars.ADMIN_TOKEN, /^[0-9a-f]{64}$/); // hex: never starts with "-"
    assert.equal(Buffer.from(first.vars.MASTER_KEY, "base64").length, 32);
    assert.ok(first.vars.MASTER_KEY.length >= 32);
    assert.equal((await stat(first.path)).mode & 0o777, 0o600);
    assert.deepEqual(parseDevVars(await readFile(first.path, "utf8")), first.vars);
    const other = await mkdtemp(join(tmpdir(), "warden-devvars-"));
    try {
      assert.notEqual(ensureDevVars(other).vars.ADMIN_TOKEN, first.vars.ADMIN_TOKEN);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("ensureDevVars uses an existing .dev.vars as it is", async () => {
  const dir = await mkdtemp(join(tmpdir(), "warden-devvars-"));
  try {
    const text = `# mine\nADMIN_TOKEN="my token"\nexport OTHER=1 # note\n`;
    await writeFile(join(dir, ".dev.vars"), text);
    const result = ensureDevVars(dir);
    assert.equal(result.created, false);
    assert.deepEqual(result.vars, { ADMIN_TOKEN: "my token", OTHER: "1" });
    assert.equal(await readFile(join(dir, ".dev.vars"), "utf8"), text);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("import chunks split on line boundaries and remember file line numbers", async () => {
  const line = (n: number) => `{"email":"u${n}@example.com"}`; // 25 bytes + newline
  const text = [line(1), line(2), "", line(4), line(5)].join("\n");
  const chunks = await collect(ndjsonChunks(pieces(text.slice(0, 30), text.slice(30)), 60));
  assert.deepEqual(
    chunks.map((c) => (c.kind === "chunk" ? { body: c.body.toString(), lines: c.lines } : c)),
    [
      { body: `${line(1)}\n${line(2)}\n`, lines: [1, 2] },
      { body: `${line(4)}\n${line(5)}\n`, lines: [4, 5] },
    ],
  );
});

test("an import line longer than one request is reported, not sent", async () => {
  const long = `{"email":"${"x".repeat(200)}@example.com"}`;
  const chunks = await collect(ndjsonChunks(pieces('{"a":1}\n', long.slice(0, 90), long.slice(90), '\n{"b":2}'), 64));
  assert.deepEqual(
    chunks.map((c) => (c.kind === "chunk" ? { body: c.body.toString(), lines: c.lines } : c)),
    [
      { kind: "oversize", line: 2 },
      { body: '{"a":1}\n{"b":2}\n', lines: [1, 3] },
    ],
  );
});

test("admin and event URLs keep a base path and escape user input", () => {
  assert.equal(
    adminUrl("https://auth.example.com/warden", "/tenants/a%2Fb", { query: "x y", cursor: undefined }),
    "https://auth.example.com/warden/v1/admin/tenants/a%2Fb?query=x+y",
  );
  assert.equal(eventsUrl("http://127.0.0.1:8787", "acme", 12), "ws://127.0.0.1:8787/v1/acme/events?since=12");
  assert.equal(eventsUrl("https://auth.example.com", "acme", undefined), "wss://auth.example.com/v1/acme/events");
});

test("events resumes after a dropped connection with since = the last seq seen", async () => {
  const { WebSocketServer } = await import("ws");
  const { spawn } = await import("node:child_process");
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  const port = (wss.address() as { port: number }).port;
  const seen: { url: string; auth: string | undefined }[] = [];
  wss.on("connection", (socket, request) => {
    seen.push({ url: request.url ?? "", auth: request.headers.authorization });
    const send = (message: object) => socket.send(JSON.stringify(message));
    if (seen.length === 1) {
      send({ type: "hello", tenant: "acme", seq: 5, server_time: "2026-01-01T00:00:00Z" });
      send({ seq: 6, type: "session.revoked", ts: "2026-01-01T00:00:01Z", tenant: "acme", sub: "u1", sid: "s1", reason: "logout" });
      send({ seq: 7, type: "user.revoked", ts: "2026-01-01T00:00:02Z", tenant: "acme", sub: "u1", ver: 2, reason: "logout_all" });
      setTimeout(() => socket.terminate(), 50);
    } else {
      send({ type: "hello", tenant: "acme", seq: 7, server_time: "2026-01-01T00:00:03Z" });
      send({ seq: 8, type: "user.disabled", ts: "2026-01-01T00:00:04Z", tenant: "acme", sub: "u2", reason: "admin" });
    }
  });

  const cliPath = fileURLToPath(new URL("../../src/cli/admin.ts", import.meta.url).href);
  const child = spawn(process.execPath, [cliPath, "events", "acme", "--url", `http://127.0.0.1:${port}`, "--token", "tok"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no seq 8 in time\nstdout: ${stdout}\nstderr: ${stderr}`)), 15_000);
      child.stdout.setEncoding("utf8").on("data", (text: string) => {
        stdout += text;
        if (stdout.includes("#8")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  } finally {
    child.kill("SIGKILL");
    wss.close();
  }

  assert.deepEqual(seen.map((s) => s.auth), ["Bearer tok", "Bearer tok"]);
  assert.equal(seen[0].url, "/v1/acme/events");
  assert.equal(seen[1].url, "/v1/acme/events?since=7");
  assert.deepEqual(stdout.trim().split("\n"), [
    "2026-01-01T00:00:01Z  #6  session.revoked  sub=u1  sid=s1  reason=logout",
    "2026-01-01T00:00:02Z  #7  user.revoked  sub=u1  ver=2  reason=logout_all",
    "2026-01-01T00:00:04Z  #8  user.disabled  sub=u2  reason=admin",
  ]);
  assert.match(stderr, /reconnecting in 0.5 s from seq 7/);
});

test("an export file is written with mode 0600, and an existing file is narrowed to it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "warden-export-"));
  try {
    const fresh = join(dir, "fresh.ndjson");
    const existing = join(dir, "existing.ndjson");
    await writeFile(existing, "old contents that are longer\n", { mode: 0o644 });
    for (const path of [fresh, existing]) {
      const out = await openPrivateFile(path);
      out.end('{"email":"a@example.com","password_hash":"$argon2id$..."}\n');
      await finished(out);
      assert.equal((await stat(path)).mode & 0o777, 0o600, path);
      assert.equal(await readFile(path, "utf8"), '{"email":"a@example.com","password_hash":"$argon2id$..."}\n');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("tenant output never shows a webhook secret", () => {
  const tenant = { slug: "acme", settings: { delivery: { webhook_url: "https://hooks.example.com/", webhook_secret: "whsec-0123456789abcdef" }, lockout: { threshold: 5 } } };
  assert.deepEqual(maskSecrets(tenant).settings, { delivery: { webhook_url: "https://hooks.example.com/", webhook_secret: "set" }, lockout: { threshold: 5 } });
  assert.equal(tenant.settings.delivery.webhook_secret, "whsec-0123456789abcdef"); // the input is left alone
  const unset = { slug: "acme", settings: { delivery: { webhook_url: null, webhook_secret: null } } };
  assert.equal(maskSecrets(unset), unset);
});

test("token: without a server on the port, the ADMIN_TOKEN of .dev.vars (the one npm start uses); none is an error", async () => {
  const root = await mkdtemp(join(tmpdir(), "warden-token-"));
  try {
    assert.throws(() => localAdminToken(18787, root), /no admin token: .*\.dev\.vars has none/);
    await writeFile(join(root, ".dev.vars"), "ADMIN_TOKEN=from-dev-vars\n");
    assert.deepEqual(localAdminToken(18787, root), { token: "from-dev-vars", source: join(root, ".dev.vars"), port: 18787, running: false });
    // A record left by a dead run (no live owner) is not a running server: its file is not read.
    await writeFile(join(root, "other.env"), "ADMIN_TOKEN=from-a-dead-run\n");
    writeRunRecord({ owner: 2 ** 22 + 12345, runtime: [], port: 18787, started_at: "", admin_token_from: { file: join(root, "other.env") } }, root);
    assert.equal(localAdminToken(18787, root).token, "from-dev-vars");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
