/// <reference types="node" />
/**
 * @module The resource-server examples, run for real against the server as `npm start` runs
 * it: the `node:http` server (node-server.ts) in this process, and the Worker (worker.ts,
 * bundled with esbuild) in Miniflare, its verifier in a Durable Object. For each: a valid
 * token is accepted, the same token is refused once its session's revocation event has
 * arrived, and a token for another audience is refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, beforeEach, test } from "node:test";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { PROJECT_ROOT } from "../../src/cli/project.ts";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { postJson } from "../browser/kit.ts";
import { exampleNodeServer } from "./node-server.ts";

const server = useServer();
const slug = `ex${randomBytes(3).toString("hex")}`;
let apiKey = "";
let ready: Promise<void> | null = null;
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const f of cleanups.reverse()) await f();
});

// Not a `before`: node:test runs top-level `before` hooks side by side, and this needs the server.
beforeEach(() =>
  (ready ??= (async () => {
    await adminCall(server, "POST", "/tenants", { slug, name: "Examples", settings: { password: { hash: "pbkdf2-sha256" } } });
    apiKey = (await adminCall(server, "POST", `/tenants/${slug}/api-keys`, { name: "api", scopes: ["subscribe", "introspect"] })).key;
  })()),
);

async function accessToken(): Promise<string> {
  const r = await postJson(`${server.url}/v1/${slug}/signup`, { email: `${randomBytes(5).toString("hex")}@example.com`, password: "correct horse battery staple" });
  return r.access_token;
}

type Get = (token?: string) => Promise<Response>;

/** The three behaviours, against `get` (expecting the tenant's audience) and `other` (expecting another). */
async function behaves(get: Get, other: Get): Promise<void> {
  const token = await accessToken();
  const ok = await get(token);
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(((await ok.json()) as { user: string }).user, JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub);

  const none = await get();
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);

  const wrongAudience = await other(token);
  assert.equal(wrongAudience.status, 401, "a token for another audience is refused");
  assert.match(wrongAudience.headers.get("www-authenticate") ?? "", /error="invalid_token"/);

  const logout = await fetch(`${server.url}/v1/${slug}/logout`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  assert.equal(logout.status, 204, await logout.text());
  const answered = performance.now();
  let status = 200;
  while (status === 200 && performance.now() - answered < 5_000) {
    status = (await get(token)).status;
    if (status === 200) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(status, 401, "the revoked token is refused once the event has arrived");
  const fresh = await accessToken();
  assert.equal((await get(fresh)).status, 200, "other tokens still pass");
}

test("node:http example: valid token accepted, revoked token refused after the event, wrong audience refused", { timeout: 60_000 }, async () => {
  const start = async (audience?: string): Promise<Get> => {
    const { server: s, verifier } = exampleNodeServer({ wardenUrl: server.url, tenant: slug, apiKey, audience });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => s.close(r)));
    await verifier.ready; // subscribed and caught up: revocations now come from the event
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/me`;
    return (token) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  };
  await behaves(await start(), await start("billing-api"));
});

test("Worker example in Miniflare: the verifier in a Durable Object, reached over RPC; same three behaviours", { timeout: 120_000 }, async () => {
  const bundle = await build({
    entryPoints: [join(PROJECT_ROOT, "test", "examples", "worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:workers"],
    write: false,
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0].text;
  const start = async (audience?: string): Promise<Get> => {
    const mf = new Miniflare(convertV4MiniflareOptions({
      workers: [
        {
          name: "api",
          modules: true,
          script,
          compatibilityDate: "2026-11-01",
          durableObjects: { TOKEN_VERIFIER: "TokenVerifier" },
          bindings: { WARDEN_URL: server.url, TENANT: slug, WARDEN_KEY: apiKey, AUDIENCE: audience ?? "" },
        },
      ],
    }));
    cleanups.push(() => mf.dispose());
    const r = await mf.dispatchFetch("http://api.example/ready");
    assert.equal(r.status, 200, await r.text());
    return async (token) => {
      const res = await mf.dispatchFetch("http://api.example/api/me", { headers: token ? { authorization: `Bearer ${token}` } : {} });
      // Miniflare's Response, read here into the platform's.
      return new Response(await res.text(), { status: res.status, headers: Object.fromEntries(res.headers) });
    };
  };
  await behaves(await start(), await start("billing-api"));
});
