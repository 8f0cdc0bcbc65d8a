/// <reference types="node" />
/**
 * @module The app client's built ESM bundle in a real browser (Debian's chromium through
 * playwright-core): two tabs of one origin, served by a tiny local HTTP server that Warden
 * allows through ALLOWED_ORIGINS, against the server as `npm start` runs it. Both tabs ask for
 * a token at expiry (their clocks moved) and exactly one refresh reaches Warden, through Web
 * Locks and BroadcastChannel; then the session is revoked from elsewhere and both tabs sign
 * out over the one live socket the elected tab holds. Never skipped.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, launchChromium, serveAppPage } from "./kit.ts";


const PAGE = `<!doctype html><meta charset="utf-8"><title>app</title>
<script type="module">
  import { createWardenApp } from "/app.js";
  const q = new URLSearchParams(location.search);
  let offset = 0;
  window.moveClock = (ms) => { offset += ms; };
  window.events = [];
  window.app = createWardenApp({ baseUrl: q.get("warden"), tenant: q.get("tenant"), clock: { now: () => Date.now() + offset } });
  app.onChange((e) => events.push(e.type === "signed_out" ? "signed_out:" + e.reason : e.type));
  window.ready = true;
</script>`;

// Started at once; Warden waits for the page's origin (node:test runs the top-level hooks side by side).
const page = serveAppPage(PAGE);
let pageOrigin = "";
before(async () => void (pageOrigin = (await page).origin), { timeout: 120_000 });
const server = useServer({ vars: async () => ({ ALLOWED_ORIGINS: (await page).origin }) });
after(async () => (await page).close());

async function post(url: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  assert.ok(res.ok, `${url}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

const liveOf = (p: Page) => p.evaluate(() => (globalThis as any).app.liveStatus as string);

test("two tabs: one refresh at expiry for both, and a revocation from elsewhere signs both out", { timeout: 240_000 }, async () => {
  const slug = `app${randomBytes(3).toString("hex")}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "App Co", settings: { password: { hash: "pbkdf2-sha256" } } });
  const tenantUrl = `${server.url}/v1/${slug}`;
  const email = `${randomBytes(4).toString("hex")}@example.com`;
  await post(`${tenantUrl}/signup`, { email, password: PASSWORD });

  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    let refreshes = 0;
    context.on("request", (r) => {
      if (r.method() === "POST" && r.url() === `${tenantUrl}/refresh`) refreshes++;
    });
    const url = `${pageOrigin}/?warden=${encodeURIComponent(server.url)}&tenant=${slug}`;
    const open = async () => {
      const p = await context.newPage();
      await p.goto(url);
      await p.waitForFunction(() => (globalThis as any).ready === true);
      return p;
    };
    const a = await open();
    const b = await open();

    const status = await a.evaluate(([login, password]) => (globalThis as any).app.signIn({ login, password }).then((r: any) => r.status), [email, PASSWORD]);
    assert.equal(status, "signed_in");
    await b.waitForFunction(() => (globalThis as any).events.includes("signed_in"));
    // One tab holds the socket, the other waits its turn.
    const deadline = Date.now() + 20_000;
    while (!((await liveOf(a)) === "open" || (await liveOf(b)) === "open")) {
      assert.ok(Date.now() < deadline, "a tab opened the live socket");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual([await liveOf(a), await liveOf(b)].sort(), ["open", "standby"]);

    // Both tabs at expiry, at once.
    const first = await a.evaluate(() => (globalThis as any).app.getAccessToken());
    await Promise.all([a, b].map((p) => p.evaluate(() => (globalThis as any).moveClock(61 * 60_000))));
    const [ta, tb] = await Promise.all([a, b].map((p) => p.evaluate(() => (globalThis as any).app.getAccessToken() as Promise<string>)));
    assert.equal(refreshes, 1, "exactly one refresh reached Warden");
    assert.equal(ta, tb);
    assert.notEqual(ta, first);
    for (const p of [a, b]) assert.ok((await p.evaluate(() => (globalThis as any).events)).includes("refreshed"));

    // Elsewhere: a second sign-in of the same user revokes the browser's session.
    const other = await post(`${tenantUrl}/login`, { login: email, password: PASSWORD });
    const sessionId = await a.evaluate(() => (globalThis as any).app.session().then((s: any) => s.session_id));
    const res = await fetch(`${tenantUrl}/sessions/${sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${other.access_token}` } });
    assert.equal(res.status, 204, await res.text());
    const answered = performance.now();
    await Promise.all([a, b].map((p) => p.waitForFunction(() => (globalThis as any).events.some((e: string) => e.startsWith("signed_out")), null, { timeout: 10_000 })));
    const ms = performance.now() - answered;
    for (const p of [a, b]) {
      assert.deepEqual((await p.evaluate(() => (globalThis as any).events)).filter((e: string) => e.startsWith("signed_out")), ["signed_out:session_revoked"]);
      assert.equal(await p.evaluate(() => (globalThis as any).app.getAccessToken()), null);
    }
    console.log(`both tabs signed out ${ms.toFixed(1)} ms after the revoking call's answer`);
  } finally {
    await browser.close();
  }
});
