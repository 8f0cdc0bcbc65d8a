/// <reference types="node" />
/**
 * @module `app.passkeys` in a real browser: the built app client in two tabs of one origin
 * (`localhost`, the tenant's RP ID) in Debian's chromium, with the DevTools WebAuthn virtual
 * authenticator (CTAP2, internal, resident keys, user verification), against the server as
 * `npm start` runs it. The page registers a passkey for the password-signed-in user, signs in
 * with it usernameless (the other tab hears of it and shares the tokens), steps up with it,
 * then signs in for a login with the client's own base64url conversion instead of the
 * browser's L3 parsers. Never skipped.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, launchChromium, postJson, serveAppPage } from "./kit.ts";

// `parsed` counts calls to the browser's own L3 parsers; `?fallback=1` tells the client not to use them.
const PAGE = `<!doctype html><meta charset="utf-8"><title>app</title>
<script type="module">
  import { createWardenApp } from "/app.js";
  const q = new URLSearchParams(location.search);
  window.parsed = 0;
  for (const f of ["parseCreationOptionsFromJSON", "parseRequestOptionsFromJSON"]) {
    const native = PublicKeyCredential[f];
    PublicKeyCredential[f] = (json) => (window.parsed++, native.call(PublicKeyCredential, json));
  }
  window.events = [];
  window.app = createWardenApp({ baseUrl: q.get("warden"), tenant: q.get("tenant"), live: false, ...(q.get("fallback") ? { PublicKeyCredential: null } : {}) });
  app.onChange((e) => events.push(e.type === "signed_out" ? "signed_out:" + e.reason : e.type));
  window.ready = true;
</script>`;

const page = serveAppPage(PAGE, "localhost");
let origin = "";
before(async () => void (origin = (await page).origin), { timeout: 120_000 });
const server = useServer({ vars: async () => ({ ALLOWED_ORIGINS: (await page).origin }) });
after(async () => (await page).close());

const run = <T>(p: Page, fn: string, ...args: unknown[]): Promise<T> =>
  p.evaluate(([fn, args]) => new Function("app", "args", `return (${fn})(app, ...args)`)((globalThis as any).app, args), [fn, args] as const) as Promise<T>;
const events = (p: Page): Promise<string[]> => p.evaluate(() => (globalThis as any).events);
const parsed = (p: Page): Promise<number> => p.evaluate(() => (globalThis as any).parsed);

test("two tabs: register a passkey, sign in with it usernameless (both tabs signed in), step up with it, and sign in by login without the L3 parsers", { timeout: 240_000 }, async () => {
  const slug = `apkb${randomBytes(3).toString("hex")}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Passkey App", settings: { password: { hash: "pbkdf2-sha256" }, webauthn: { rp_id: "localhost", origins: [origin] } } });
  const email = `${randomBytes(4).toString("hex")}@example.com`;
  await postJson(`${server.url}/v1/${slug}/signup`, { email, password: PASSWORD });

  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const url = `${origin}/?warden=${encodeURIComponent(server.url)}&tenant=${slug}`;
    const open = async (u: string, p?: Page) => {
      p ??= await context.newPage();
      await p.goto(u);
      await p.waitForFunction(() => (globalThis as any).ready === true);
      return p;
    };
    const a = await open(url);
    const b = await open(url);
    await a.bringToFront(); // WebAuthn needs the focused tab
    const cdp = await context.newCDPSession(a);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // Register for the password-signed-in user, through the browser's own parsers and toJSON().
    await run(a, `(app, login, password) => app.signIn({ login, password })`, email, PASSWORD);
    const pk = await run<{ id: string; name: string }>(a, `(app) => app.passkeys.register({ name: "Chromium" })`);
    assert.equal(pk.name, "Chromium");
    assert.equal((await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials.length, 1);
    assert.equal(await parsed(a), 1);
    await run(a, `(app) => app.signOut()`);
    await b.waitForFunction(() => (globalThis as any).events.includes("signed_out:local"), null, { timeout: 10_000 }).catch(async (e) => assert.fail(`tab b heard: ${await events(b)} (${e.message})`));

    // Usernameless: no login typed; the other tab is signed in with the same tokens.
    const status = await run<string>(a, `(app) => app.passkeys.signIn().then((r) => r.status)`);
    assert.equal(status, "signed_in");
    await b.waitForFunction(() => (globalThis as any).events.filter((e: string) => e === "signed_in").length === 2);
    const [ta, tb] = await Promise.all([a, b].map((p) => run<string>(p, `(app) => app.getAccessToken()`)));
    assert.equal(ta, tb);
    const amr = await run<string[]>(b, `(app) => app.sessions.list().then((l) => l.find((s) => s.current).amr)`);
    assert.deepEqual(amr, ["pop", "mfa"]);

    // Step-up: the same session, a new pair, which the other tab gets too.
    const before = await run<string>(a, `(app) => app.session().then((s) => s.session_id)`);
    const after = await run<string>(a, `(app) => app.passkeys.reauth().then((s) => s.session_id)`);
    assert.equal(after, before);
    await b.waitForFunction(() => (globalThis as any).events.includes("refreshed"));
    assert.notEqual(await run<string>(b, `(app) => app.getAccessToken()`), ta);
    assert.equal(await parsed(a), 3);

    // The client's own conversion, for a browser without the L3 parsers.
    await open(`${url}&fallback=1`, a);
    await run(a, `(app) => app.signOut()`);
    const again = await run<string>(a, `(app, login) => app.passkeys.signIn({ login }).then((r) => r.status)`, email);
    assert.equal(again, "signed_in");
    assert.equal(await parsed(a), 0, "the browser's parsers were not used");
    await b.waitForFunction(() => (globalThis as any).events.filter((e: string) => e === "signed_in").length === 3);
    assert.deepEqual((await events(b)).filter((e) => e.startsWith("signed_out")), ["signed_out:local", "signed_out:local"]);
  } finally {
    await browser.close();
  }
});
