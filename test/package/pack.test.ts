/// <reference types="node" />
/**
 * @module The package as a user gets it: `npm pack` (which runs the build), installed from the
 * tarball into a fresh project with no network (`--offline`: it must need nothing else), then
 * imported from plain JavaScript on the system Node 20 and on Node 24, and type-checked as a
 * TypeScript consumer with the tsconfig `tsc --init` writes.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PROJECT_ROOT } from "../../src/cli/project.ts";

const NODE20 = "/usr/bin/node";
const NODE24 = join(PROJECT_ROOT, "node_modules", ".bin", "node");
const TSC = join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");

let dir = "";
let consumer = "";
let files: string[] = [];

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-pack-"));
  const out = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], PROJECT_ROOT));
  files = out[0].files.map((f: { path: string }) => f.path);
  const tarball = join(dir, out[0].filename);
  consumer = join(dir, "consumer");
  await run("mkdir", ["-p", consumer], dir);
  await writeFile(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], consumer);
}, { timeout: 300_000 });

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the tarball holds the built libraries, the admin CLI's bin and the license, and no server code or tests", () => {
  assert.ok(files.includes("dist/app/index.js") && files.includes("dist/app/index.d.ts"));
  assert.ok(files.includes("dist/client/index.js") && files.includes("dist/client/index.d.ts"));
  assert.ok(files.includes("src/cli/warden.js") && files.includes("dist/cli/admin.js"), "the warden bin and the bundle it runs");
  assert.ok(files.includes("LICENSE"), "the MIT license travels with the package");
  const stray = files.filter((f) => !f.startsWith("dist/") && !["package.json", "README.md", "LICENSE", "src/cli/warden.js"].includes(f));
  assert.deepEqual(stray, []);
  assert.ok(!files.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), "no TypeScript source");
});

test("it installed with nothing else: no runtime dependency, bundles free of Node built-ins", async () => {
  const pkg = JSON.parse(await readFile(join(consumer, "node_modules", "warden", "package.json"), "utf8"));
  assert.equal(pkg.dependencies, undefined, "server dependencies belong in devDependencies (wrangler bundles them)");
  assert.deepEqual(run("ls", [join(consumer, "node_modules")], consumer).trim().split("\n"), ["warden"]);
  for (const entry of ["app", "client"]) {
    const js = await readFile(join(consumer, "node_modules", "warden", "dist", entry, "index.js"), "utf8");
    assert.doesNotMatch(js, /from\s*["'](node:|[a-z@])/, `${entry} imports nothing`);
  }
});

test("the installed warden bin runs the bundled admin CLI on the system Node 20", () => {
  const bin = join(consumer, "node_modules", ".bin", "warden");
  assert.ok(existsSync(bin), "npm linked the bin");
  // As a shell runs it: the shebang's `env node` finds the system Node 20 on this PATH.
  const env = { PATH: "/usr/bin:/bin", HOME: consumer };
  const help = execFileSync(bin, ["--help"], { cwd: consumer, encoding: "utf8", env });
  assert.match(help, /^Warden admin CLI/);
  assert.match(help, /Usage: npx warden <command>/);
  // A command needs a token, and says so on stderr with exit 2, without a stack.
  const noToken = spawnSync(bin, ["tenants", "list", "--json"], { cwd: consumer, encoding: "utf8", env });
  assert.equal(noToken.status, 2, noToken.stderr);
  assert.equal(noToken.stdout, "");
  assert.match(noToken.stderr, /^error: no admin token/);
});

const SMOKE = `
import { createWardenApp, memoryStorage, WardenError } from "warden/app";
import { createVerifier, Revocations, wardenAuth } from "warden/client";
const b64 = (o) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\\+/g, "-").replace(/\\//g, "_");
const token = b64({ alg: "EdDSA" }) + "." + b64({ sid: "s1", ver: 1, iat: 1 }) + ".x";
const user = { id: "u1", email: null, username: "a", email_verified: false, pending_email: null, status: "active", metadata: {}, mfa_enabled: false, created_at: "", updated_at: "" };
const fetch = async (url) => new Response(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 900, refresh_token: "r", session_id: "s1", user }), { status: 200 });
const app = createWardenApp({ baseUrl: "https://auth.example", tenant: "t", fetch, storage: memoryStorage() });
const r = await app.signIn({ login: "a", password: "p" });
const ok = r.status === "signed_in" && (await app.getAccessToken()) === token && typeof createVerifier === "function" && typeof wardenAuth === "function" && new Revocations().size === 0 && new WardenError("x", "y").code === "x";
app.close();
console.log(JSON.stringify({ ok, node: process.version }));
`;

for (const [name, node] of [["Node 20 (system)", NODE20], ["Node 24", NODE24]] as const) {
  test(`plain JavaScript imports warden/app and warden/client on ${name}`, async () => {
    assert.ok(existsSync(node), `${node} is missing`);
    await writeFile(join(consumer, "smoke.mjs"), SMOKE);
    const out = JSON.parse(run(node, ["smoke.mjs"], consumer));
    assert.equal(out.ok, true);
    assert.match(out.node, name.startsWith("Node 20") ? /^v20\./ : /^v24\./);
  });
}

test("a TypeScript consumer with the default tsconfig type-checks, and the types are real (not any)", async () => {
  run(NODE24, [TSC, "--init"], consumer);
  await writeFile(
    join(consumer, "index.ts"),
    `import { createWardenApp, type ChangeEvent, type SignInResult, type WardenApp } from "warden/app";
import { createVerifier, type VerifyResult } from "warden/client";
export const app: WardenApp = createWardenApp({ baseUrl: "https://auth.example", tenant: "t" });
export async function go(): Promise<string | null> {
  const r: SignInResult = await app.signIn({ login: "a", password: "b" });
  if (r.status === "mfa_required") await r.complete("123456");
  app.onChange((e: ChangeEvent) => { if (e.type === "signed_out") { const why: string = e.reason; void why; } });
  // @ts-expect-error: signIn takes { login, password }
  await app.signIn({ email: "a" });
  const v = createVerifier({ baseUrl: "http://warden.internal", tenant: "t", apiKey: "k" });
  const res: VerifyResult = await v.verify("x");
  return res.active ? res.claims.sub : await app.getAccessToken();
}
`,
  );
  try {
    run(NODE24, [TSC, "-p", "."], consumer);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`);
  }
});
