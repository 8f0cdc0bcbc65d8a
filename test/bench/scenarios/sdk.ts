/// <reference types="node" />
/**
 * @module The app client's rows: its size as a browser bundle carries it (esbuild's minified
 * build of `warden/app`, gzipped, measured from the build each run: src/cli/build-sdk.ts
 * `appClientSize`), and the two-tab sign-out. The latter runs the built bundle in two tabs of
 * one origin in Debian's chromium, as the browser test does: one tab holds the live socket and
 * the other hears from it over `BroadcastChannel`; a session is revoked from elsewhere and the
 * time runs from the revoking call's answer until the second tab to sign out has (negative when
 * the pushed event beats the HTTP answer back to the caller; the note adds the time from the
 * call being sent and the relay from the first tab to the second; both clocks
 * are this machine's wall clock, `performance.timeOrigin + performance.now()`).
 */
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { appClientSize } from "../../../src/cli/build-sdk.ts";
import { launchChromium, serveAppPage } from "../../browser/kit.ts";
import type { Ctx } from "../context.ts";
import { percentile, type Row } from "../stats.ts";
import { http, must } from "../warden.ts";

export async function appSize(): Promise<Row> {
  const s = await appClientSize();
  return {
    scenario: "warden/app bundle size", system: "warden", rps: null, p50: null, p99: null, rss: null,
    note: `${(s.minified / 1000).toFixed(1)} kB minified, ${(s.gzipped / 1000).toFixed(1)} kB gzipped (esbuild --minify of src/app, zlib level 9)`,
  };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title>
<script type="module">
  import { createWardenApp } from "/app.js";
  const q = new URLSearchParams(location.search);
  window.signedOutAt = null;
  window.app = createWardenApp({ baseUrl: q.get("warden"), tenant: q.get("tenant") });
  app.onChange((e) => { if (e.type === "signed_out") window.signedOutAt = performance.timeOrigin + performance.now(); if (e.type === "signed_in") window.signedOutAt = null; });
  window.ready = true;
</script>`;

/** The page server, started before Warden: its origin goes into ALLOWED_ORIGINS. */
export const appPage = () => serveAppPage(PAGE);

const PASSWORD = "bench correct horse battery staple";

export async function twoTabSignOut(c: Ctx, pageOrigin: string): Promise<Row> {
  const slug = `tabs${randomBytes(3).toString("hex")}`;
  await must(c.admin.call("POST", "/tenants", { slug, name: "Bench tabs", settings: { password: { hash: "pbkdf2-sha256" }, rate_limits: { login: { limit: 100_000, window_s: 1 } } } }), 201, "tenant");
  const email = `${randomBytes(4).toString("hex")}@example.com`;
  await must(http(c.w.url, "POST", `/v1/${slug}/signup`, { body: { email, password: PASSWORD } }), 201, "signup");
  const rounds = c.sizes.quick ? 5 : 20;
  const samples: number[] = [];
  const fromSent: number[] = [];
  const relay: number[] = [];
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const open = async () => {
      const p = await context.newPage();
      await p.goto(`${pageOrigin}/?warden=${encodeURIComponent(c.w.url)}&tenant=${slug}`);
      await p.waitForFunction(() => (globalThis as any).ready === true);
      return p;
    };
    const tabs: Page[] = [await open(), await open()];
    const live = (p: Page) => p.evaluate(() => (globalThis as any).app.liveStatus as string);
    for (let i = 0; i < rounds; i++) {
      const sessionId = await tabs[0].evaluate(([login, password]) => (globalThis as any).app.signIn({ login, password }).then((r: any) => r.session.session_id), [email, PASSWORD]);
      await tabs[1].waitForFunction(() => (globalThis as any).app.session().then((s: any) => !!s));
      const deadline = Date.now() + 20_000;
      while (!(await Promise.all(tabs.map(live))).includes("open")) {
        if (Date.now() > deadline) throw new Error("no tab opened the live socket");
        await new Promise((r) => setTimeout(r, 20));
      }
      const other = await must(http(c.w.url, "POST", `/v1/${slug}/login`, { body: { login: email, password: PASSWORD } }), 200, "login");
      const sent = performance.timeOrigin + performance.now();
      const r = await http(c.w.url, "DELETE", `/v1/${slug}/sessions/${sessionId}`, { token: other.access_token });
      const answered = performance.timeOrigin + performance.now();
      if (r.status !== 204) throw new Error(`revoke: ${r.status} ${JSON.stringify(r.body)}`);
      const at = await Promise.all(
        tabs.map(async (p) => {
          await p.waitForFunction(() => (globalThis as any).signedOutAt !== null, null, { timeout: 10_000 });
          return p.evaluate(() => (globalThis as any).signedOutAt as number);
        }),
      );
      samples.push(Math.max(...at) - answered);
      fromSent.push(Math.max(...at) - sent);
      relay.push(Math.max(...at) - Math.min(...at));
      await must(http(c.w.url, "POST", `/v1/${slug}/logout`, { token: other.access_token }), 204, "logout");
    }
  } finally {
    await browser.close();
  }
  return {
    scenario: "two-tab sign-out (app client, chromium)", system: "warden", rps: null, p50: percentile(samples, 50), p99: percentile(samples, 99), rss: null,
    note:
      `${rounds} revocations from elsewhere; from the revoking call's answer to the second of two tabs signed out (below 0: before the answer reached the caller); ` +
      `from the call being sent p50 ${percentile(fromSent, 50)!.toFixed(1)} ms; second tab after the first (BroadcastChannel from the socket's tab) p50 ${percentile(relay, 50)!.toFixed(1)} ms, max ${Math.max(...relay).toFixed(1)} ms`,
  };
}
