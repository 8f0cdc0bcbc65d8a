/// <reference types="node" />
/**
 * @module The admin CLI against a real `wrangler dev`: each test runs `src/cli/admin.ts` as a
 * subprocess with `--url` and `--token`, and reads its exit code, stdout and stderr.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
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
