/// <reference types="node" />
/**
 * @module What every browser test shares: Debian's chromium (no browser download is possible
 * here; CI installs the package), launched headless through playwright-core, a JSON POST, and
 * a page server for the built app client.
 * A missing chromium fails the test loudly, never skips it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildSdk, DIST } from "../../src/cli/build-sdk.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const PASSWORD = "correct horse battery staple";

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `chromium is required for the browser tests: apt-get install chromium (looked for ${CHROMIUM}; set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** POSTs JSON (with a bearer token if given) and answers the JSON body; anything but 2xx fails the test. */
/** A JSON request that must succeed; its answer's body. */
export async function json(method: string, url: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(url, { method, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.ok(res.ok, `${url}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

export const postJson = (url: string, body: unknown, token?: string): Promise<any> => json("POST", url, body, token);

/**
 * The built app client (`dist/app/index.js`, built first) at `/app.js` and `page` at `/?…`, on
 * a free port of 127.0.0.1, addressed as `host` (`localhost` for a page that runs WebAuthn: an
 * IP address cannot be an RP ID).
 */
export async function serveAppPage(page: string, host = "127.0.0.1"): Promise<{ origin: string; close(): void }> {
  await buildSdk();
  const bundle = await readFile(join(DIST, "app", "index.js"));
  const server = createServer((req, res) => {
    if (req.url === "/app.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    if (req.url?.startsWith("/?")) return res.writeHead(200, { "content-type": "text/html" }).end(page);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://${host}:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/**
 * A page signed in to the console: with the admin token on a laptop-sized page (landing on the
 * tenants list), or with a tenant's manage key on a phone-sized one (landing on its users).
 * Console errors (CSP violations among them) are pushed to `violations`.
 */
export async function consoleSignedIn(browser: Browser, url: string, token: string, o: { tenant?: string; violations?: string[] } = {}): Promise<{ page: Page; violations: string[] }> {
  const violations = o.violations ?? [];
  const ctx = await browser.newContext(o.tenant ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("console", (m) => m.type() === "error" && violations.push(m.text()));
  await page.goto(`${url}/admin/`);
  await page.getByLabel("Admin token or API key").fill(token);
  if (o.tenant) await page.getByLabel("Tenant (only for an API key)").fill(o.tenant);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: o.tenant ? "Users" : "Tenants" }).waitFor();
  return { page, violations };
}
