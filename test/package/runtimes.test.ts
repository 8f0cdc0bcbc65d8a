/// <reference types="node" />
/**
 * @module What lets the package run outside Node (browsers, Workers, Deno, Bun; Deno and Bun
 * are not on this machine): the built `dist/` holds no Node built-in import (`node:…`, a bare
 * `fs`, `require`) and no Node global (`process`, `Buffer`, `global`, `__dirname`,
 * `setImmediate`), in the code or in the types; and both bundles load and work in workerd
 * without `nodejs_compat` (Miniflare): no Node modules there, only the web platform's APIs
 * (workerd does define a bare `process` object, so it is not asserted absent).
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { buildSdk, DIST } from "../../src/cli/build-sdk.ts";

const BUILTINS = ["assert", "buffer", "child_process", "crypto", "events", "fs", "http", "https", "net", "os", "path", "stream", "url", "util", "worker_threads", "zlib"];
const NODE_IMPORT = new RegExp(`(?:from\\s*|import\\s*\\(\\s*|require\\s*\\(\\s*)["'](?:node:[^"']+|(?:${BUILTINS.join("|")})(?:/[^"']*)?)["']`);
const NODE_GLOBAL = /(?<![\w$.])(?:process|Buffer|global|__dirname|__filename|setImmediate|require)(?![\w$])(?=\s*[.([])/;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (/\.(js|d\.ts)$/.test(e.name)) out.push(p);
  }
  return out;
}

before(() => buildSdk(), { timeout: 120_000 });

test("the patterns catch what they are for (so a clean scan means something)", () => {
  for (const bad of [`import x from "node:fs";`, `const f = await import("fs/promises")`, `require("crypto")`, `process.env.X`, `Buffer.from(s)`, `global.fetch`, `setImmediate(f)`]) {
    assert.ok(NODE_IMPORT.test(bad) || NODE_GLOBAL.test(bad), bad);
  }
  for (const fine of [`globalThis.fetch`, `const processed = 1`, `x.process(y)`, `import { a } from "./fs.js"`, `"a global default"`]) {
    assert.ok(!NODE_IMPORT.test(fine) && !NODE_GLOBAL.test(fine), fine);
  }
});

// The libraries' part of dist/ (dist/cli holds the admin CLI's Node bundle, for the `warden` bin).
const LIBRARY_DIRS = ["app", "client", "crypto"];

test("warden/app and warden/client in dist/ have no Node built-in import and no Node global, in the bundles or the types", async () => {
  const all = (await Promise.all(LIBRARY_DIRS.map((d) => files(join(DIST, d))))).flat();
  assert.ok(all.some((f) => f.endsWith("app/index.js")) && all.some((f) => f.endsWith("client/index.js")));
  for (const f of all) {
    // Comments may say "in-process" or "a Node global"; only code counts.
    const src = (await readFile(f, "utf8")).replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
    assert.doesNotMatch(src, NODE_IMPORT, `${f} imports a Node built-in`);
    assert.doesNotMatch(src, NODE_GLOBAL, `${f} uses a Node global`);
    assert.doesNotMatch(src, /NodeJS\.|types="node"/, `${f} needs @types/node`);
  }
});

const SMOKE = `
import { createWardenApp, memoryStorage } from "./app.js";
import { createVerifier, Revocations } from "./client.js";
const b64 = (o) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\\+/g, "-").replace(/\\//g, "_");
const token = b64({ alg: "EdDSA" }) + "." + b64({ sid: "s1", ver: 1, iat: 1 }) + ".x";
const user = { id: "u1", email: null, username: "a", email_verified: false, pending_email: null, status: "active", metadata: {}, mfa_enabled: false, created_at: "", updated_at: "" };
export default {
  async fetch() {
    const fetch = async () => new Response(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 900, refresh_token: "r", session_id: "s1", user }));
    const app = createWardenApp({ baseUrl: "https://auth.example", tenant: "t", fetch, storage: memoryStorage() });
    const r = await app.signIn({ login: "a", password: "p" });
    const ok = r.status === "signed_in" && (await app.getAccessToken()) === token && typeof createVerifier === "function" && new Revocations().size === 0;
    app.close();
    return Response.json({ ok });
  },
};`;

test("both bundles load and run in workerd without nodejs_compat", { timeout: 60_000 }, async () => {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          name: "smoke",
          compatibilityDate: "2026-11-01",
          modules: [
            { type: "ESModule", path: "index.js", contents: SMOKE },
            { type: "ESModule", path: "app.js", contents: await readFile(join(DIST, "app", "index.js"), "utf8") },
            { type: "ESModule", path: "client.js", contents: await readFile(join(DIST, "client", "index.js"), "utf8") },
          ],
        },
      ],
    }),
  );
  try {
    const res = await mf.dispatchFetch("http://smoke/");
    assert.deepEqual(await res.json(), { ok: true });
  } finally {
    await mf.dispose();
  }
});
