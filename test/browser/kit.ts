/// <reference types="node" />
/**
 * @module What every browser test shares: Debian's chromium (no browser download is possible
 * here; CI installs the package), launched headless through playwright-core, and a JSON POST.
 * A missing chromium fails the test loudly, never skips it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const PASSWORD = "correct horse battery staple";

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `chromium is required for the browser tests: apt-get install chromium (looked for ${CHROMIUM}; set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** POSTs JSON (with a bearer token if given) and answers the JSON body; anything but 2xx fails the test. */
export async function postJson(url: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  assert.ok(res.ok, `${url}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}
