/// <reference types="node" />
/**
 * @module The admin CLI against a real `wrangler dev`: each test runs `src/cli/admin.ts` as a
 * subprocess with `--url` and `--token`, and reads its exit code, stdout and stderr.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { eventually, runCli, type CliResult } from "./cli.ts";
import { useServer } from "./server.ts";

const server = useServer();

function admin(...args: string[]): Promise<CliResult> {
  return runCli(["--url", server.url, "--token", server.adminToken, ...args]);
}

function ok(result: CliResult): CliResult {
  assert.equal(result.code, 0, `exit ${result.code}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`);
  return result;
}

function newSlug(): string {
  return `t-${randomBytes(4).toString("hex")}`;
}

async function createTenant(): Promise<string> {
  const slug = newSlug();
  ok(await admin("tenants", "create", slug, "--name", `Tenant ${slug}`));
  return slug;
}

test("tenants create prints the new tenant", async () => {
  const slug = newSlug();
  const result = ok(await admin("tenants", "create", slug, "--name", "Acme Inc"));
  assert.match(result.stdout, new RegExp(`Created tenant ${slug}`));
  assert.match(result.stdout, /Acme Inc/);
});

test("tenants create --json prints the API's answer", async () => {
  const slug = newSlug();
  const result = ok(await admin("tenants", "create", slug, "--name", "Acme", "--json"));
  const tenant = JSON.parse(result.stdout);
  assert.equal(tenant.slug, slug);
  assert.equal(tenant.name, "Acme");
  assert.equal(tenant.status, "active");
  assert.equal(typeof tenant.settings, "object");
});

test("npx warden … --json prints nothing but the API's JSON on stdout (no npm banner), so it pipes into jq", async () => {
  const slug = newSlug();
  const result = ok(await runCli(["tenants", "create", slug, "--name", "Acme", "--url", server.url, "--token", server.adminToken, "--json"], {}, { npx: true }));
  assert.equal(JSON.parse(result.stdout).slug, slug);
  assert.ok(result.stdout.trimStart().startsWith("{"), result.stdout);
  const failed = await runCli(["tenants", "show", newSlug(), "--url", server.url, "--token", server.adminToken, "--json"], {}, { npx: true });
  assert.equal(failed.code, 1);
  assert.equal(failed.stdout, "", "an error leaves stdout empty");
  assert.match(failed.stderr, /error: (tenant_not_found|not_found): /);
});

test("a created tenant appears in tenants list --json", async () => {
  const slug = await createTenant();
  await eventually(async () => {
    const result = ok(await admin("tenants", "list", "--all", "--json"));
    const { tenants, next_cursor } = JSON.parse(result.stdout);
    assert.equal(next_cursor, null);
    assert.ok(tenants.some((t: { slug: string }) => t.slug === slug), `${slug} not in ${result.stdout}`);
  });
});

test("tenants show prints settings and live stats", async () => {
  const slug = await createTenant();
  const json = JSON.parse(ok(await admin("tenants", "show", slug, "--json")).stdout);
  assert.equal(json.slug, slug);
  assert.equal(json.stats.users, 0);
  assert.equal(typeof json.stats.event_seq, "number");
  const human = ok(await admin("tenants", "show", slug)).stdout;
  assert.match(human, new RegExp(`slug\\s+${slug}`));
  assert.match(human, /stats:/);
  assert.match(human, /settings:/);
});

test("tenants show of an unknown tenant fails with the API's error code", async () => {
  const result = await admin("tenants", "show", newSlug());
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error: (tenant_not_found|not_found): /);
});

test("api-keys create prints the key once, and list shows it without the key", async () => {
  const slug = await createTenant();
  const created = ok(await admin("api-keys", "create", slug, "gateway", "--scope", "introspect,subscribe", "--json"));
  const key = JSON.parse(created.stdout);
  assert.equal(key.name, "gateway");
  assert.deepEqual([...key.scopes].sort(), ["introspect", "subscribe"]);
  assert.equal(typeof key.key, "string");
  assert.match(created.stderr, /shown only once/);

  const listed = JSON.parse(ok(await admin("api-keys", "list", slug, "--json")).stdout);
  const entry = listed.api_keys.find((k: { id: string }) => k.id === key.id);
  assert.ok(entry, `key ${key.id} not listed`);
  assert.equal(entry.name, "gateway");
  assert.equal(entry.revoked_at, null);
  assert.ok(!JSON.stringify(listed).includes(key.key), "the key itself must never be listed");

  const table = ok(await admin("api-keys", "list", slug)).stdout;
  assert.match(table, /gateway/);
});

test("a wrong admin token exits non-zero with the API's error code on stderr", async () => {
  const result = await runCli(["--url", server.url, "--token", "not-the-admin-token", "tenants", "list"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error: (unauthorized|invalid_token): /);
  assert.equal(result.stdout, "");
});

test("the token can come from WARDEN_ADMIN_TOKEN and the URL from WARDEN_URL", async () => {
  const result = await runCli(["tenants", "list", "--json"], { WARDEN_URL: server.url, WARDEN_ADMIN_TOKEN: server.adminToken });
  ok(result);
  assert.ok(Array.isArray(JSON.parse(result.stdout).tenants));
});

test("an unreachable server exits 1 with a network error", async () => {
  const result = await runCli(["--url", "http://127.0.0.1:9", "--token", "x", "tenants", "list"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error: cannot reach http:\/\/127\.0\.0\.1:9/);
});

test("--help exits 0, for the CLI and for each command", async () => {
  const top = ok(await runCli(["--help"]));
  assert.match(top.stdout, /tenants create <slug> --name <name>/);
  assert.match(top.stdout, /events <tenant>/);
  const create = ok(await runCli(["tenants", "create", "--help"]));
  assert.match(create.stdout, /POST \/v1\/admin\/tenants/);
});

test("an unknown command exits 2 with a usage error", async () => {
  const result = await admin("frobnicate");
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown command "frobnicate"/);
});

test("bad usage exits 2 before any request", async () => {
  assert.equal((await admin("tenants", "create", newSlug())).code, 2, "missing --name");
  assert.equal((await admin("tenants", "list", "--limit", "many")).code, 2, "non-numeric --limit");
  assert.equal((await admin("tenants", "create", newSlug(), "--name", "x", "--settings", "{nope")).code, 2, "bad JSON");
  assert.equal((await admin("tenants", "list", "--bogus")).code, 2, "unknown option");
});

async function signup(slug: string, body: Record<string, string>): Promise<string> {
  const response = await fetch(`${server.url}/v1/${slug}/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: "correct horse battery staple", ...body }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { user: { id: string } }).user.id;
}

test("user commands take email:… and username:… as well as an id, and match the whole identifier", async () => {
  const slug = await createTenant();
  const alice = await signup(slug, { email: "Alice@Example.com", username: "alice" });
  const alice2 = await signup(slug, { email: "alice@example.com.au", username: "alice2" });
  const show = async (ref: string) => JSON.parse(ok(await admin("users", "show", slug, ref, "--json")).stdout).user.id;
  assert.equal(await show(alice), alice);
  assert.equal(await show("email:alice@EXAMPLE.com"), alice, "the server's normalisation: case does not matter");
  assert.equal(await show("username:alice"), alice, "a prefix of alice2, but only alice is alice");
  assert.equal(await show("username:ALICE2"), alice2);
  assert.equal(await show(`id:${alice2}`), alice2);

  ok(await admin("roles", "create", slug, "editor", "--scope", "posts:write"));
  ok(await admin("roles", "grant", slug, "username:alice2", "editor"));
  const detail = JSON.parse(ok(await admin("users", "show", slug, alice2, "--json")).stdout);
  assert.deepEqual(JSON.stringify(detail.roles).match(/editor/g), ["editor"], "the role went to alice2");
  const disabled = ok(await admin("users", "disable", slug, "email:alice@example.com"));
  assert.match(disabled.stdout, new RegExp(`Disabled user ${alice}\\.`));
  const { sessions } = JSON.parse(ok(await admin("sessions", "list", slug, "username:alice", "--json")).stdout);
  assert.equal(sessions.length, 1, "the sign-up's session");
  assert.equal(sessions[0].revoke_reason, "user_disabled");
});

test("sessions revoke-all signs every user of the tenant out and says how many sessions ended", async () => {
  const slug = await createTenant();
  const a = await signup(slug, { username: "ann" });
  await signup(slug, { username: "ben" });
  const text = ok(await admin("sessions", "revoke-all", slug));
  assert.equal(text.stdout.trim(), `Signed every user of ${slug} out: 2 sessions ended.`);
  const { sessions } = JSON.parse(ok(await admin("sessions", "list", slug, a, "--json")).stdout);
  assert.equal(sessions[0].revoke_reason, "admin_revoked");
  assert.deepEqual(JSON.parse(ok(await admin("sessions", "revoke-all", slug, "--json")).stdout), { tenant: slug, sessions: 0 });
});

test("a user reference that matches no user is an error naming it; a malformed one is a usage error", async () => {
  const slug = await createTenant();
  await signup(slug, { username: "bobby" });
  const none = await admin("users", "revoke", slug, "username:bob");
  assert.equal(none.code, 1);
  assert.match(none.stderr, new RegExp(`error: no user with username bob in tenant ${slug}`));
  assert.equal(none.stdout, "");
  const noEmail = await admin("users", "show", slug, "email:nobody@example.com", "--json");
  assert.equal(noEmail.code, 1);
  assert.match(noEmail.stderr, /no user with email nobody@example\.com/);
  const bad = await admin("users", "show", slug, "email:not-an-address");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /email:not-an-address is not an email address/);
});

test("audit tail shows the latest entries, newest last, and --user takes a user reference", async () => {
  const slug = await createTenant();
  const ids: string[] = [];
  for (const name of ["carol", "dave", "erin", "frank"]) ids.push(await signup(slug, { username: name }));
  const page = JSON.parse(ok(await admin("audit", "tail", slug, "--limit", "2", "--json")).stdout);
  assert.deepEqual(page.entries.map((e: { user_id: string }) => e.user_id), [ids[3], ids[2]], "the two newest, as the API pages them");
  assert.ok(page.next_cursor, "older entries remain");
  const table = ok(await admin("audit", "tail", slug, "--limit", "2")).stdout.trimEnd().split("\n");
  assert.match(table.at(-1)!, new RegExp(ids[3]), "the newest entry is the last line");
  assert.match(table.at(-2)!, new RegExp(ids[2]));
  const older = JSON.parse(ok(await admin("audit", "tail", slug, "--limit", "2", "--cursor", page.next_cursor, "--json")).stdout);
  assert.deepEqual(older.entries.map((e: { user_id: string }) => e.user_id), [ids[1], ids[0]]);
  const dave = JSON.parse(ok(await admin("audit", "tail", slug, "--user", "username:dave", "--json")).stdout);
  assert.deepEqual(dave.entries.map((e: { type: string; user_id: string }) => [e.type, e.user_id]), [["signup", ids[1]]]);
});

/** Runs `audit tail --follow` until `done` says its lines are enough. */
function followAudit(args: string[], done: (lines: string[]) => boolean): { lines: Promise<string[]>; stop(): void } {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../../src/cli/warden.js", import.meta.url).href), "--url", server.url, "--token", server.adminToken, "audit", "tail", ...args, "--follow", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const lines = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => (child.kill(), reject(new Error(`not enough lines in 20 s: ${text}`))), 20_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      const complete = text.split("\n").slice(0, -1);
      if (done(complete)) (clearTimeout(timer), child.kill(), resolve(complete));
    });
  });
  return { lines, stop: () => child.kill() };
}

test("audit tail --follow starts from now, and from --since when it is given", async () => {
  const slug = await createTenant();
  const before = await signup(slug, { username: "grace" });
  const since = new Date(Date.now() - 60_000).toISOString();
  const fromNow = followAudit([slug], (lines) => lines.some((l) => JSON.parse(l).type === "signup"));
  const fromSince = followAudit([slug, "--since", since], (lines) => lines.filter((l) => JSON.parse(l).type === "signup").length >= 2);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // both have asked once
    const after = await signup(slug, { username: "heidi" });
    const now = (await fromNow.lines).map((l) => JSON.parse(l));
    assert.deepEqual(now.map((e) => e.user_id), [after], "only what came after the start");
    const all = (await fromSince.lines).map((l) => JSON.parse(l));
    assert.deepEqual(all.filter((e) => e.type === "signup").map((e) => e.user_id), [before, after]);
    assert.equal(all[0].type, "tenant.created");
  } finally {
    fromNow.stop();
    fromSince.stop();
  }
});
