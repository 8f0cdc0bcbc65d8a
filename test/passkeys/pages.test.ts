/**
 * @module Passkeys on the hosted pages, driven like a browser without JavaScript would post
 * the forms the page script fills in: the sign-in page's ceremony (and its script allowed by
 * hash), the offer after a password sign-in, the account page, and the MFA step.
 */
import { describe, expect, it } from "vitest";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "../../src/crypto/bytes.ts";
import { call, newTenant, PASSWORD, signup } from "../helpers.ts";
import { enableTotp, midStep, rows, useMockOutbound } from "../account/kit.ts";
import { Browser, field, type Page } from "../pages/kit.ts";
import { SoftAuthenticator, userWithPasskey } from "./kit.ts";

useMockOutbound();

/** The ceremony's options, as the page script reads them from `data-options`. */
function optionsOf(p: Page): any {
  const m = /data-options="([^"]*)"/.exec(p.html);
  expect(m, "the page has a passkey ceremony").not.toBeNull();
  return JSON.parse(m![1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"));
}

const actionOf = (p: Page) => /<form[^>]*action="([^"]+)"[^>]*id="webauthn"/.exec(p.html)![1];

async function passwordSignIn(b: Browser, t: string, login: string): Promise<Page> {
  const p = await b.get(`/v1/${t}/pages/sign-in`);
  return b.submit(p, `/v1/${t}/pages/sign-in`, { login, password: PASSWORD });
}

describe("hosted pages with passkeys", () => {
  it("the sign-in page carries a usernameless ceremony whose script the CSP allows by hash, and signs in with it", async () => {
    const { t, auth, user } = await userWithPasskey();
    const b = new Browser();
    const p = await b.get(`/v1/${t}/pages/sign-in`);
    expect(p.status).toBe(200);
    const script = /<script>([\s\S]*?)<\/script>/.exec(p.html)![1];
    const hash = btoa(String.fromCharCode(...sha256(utf8(script))));
    expect(p.headers.get("content-security-policy")).toContain(`script-src 'sha256-${hash}'`);
    expect(p.html).toContain('autocomplete="username webauthn"');
    expect(p.html).toContain('data-conditional="1"');
    const o = optionsOf(p);
    expect(o.allowCredentials).toBeUndefined();
    const done = await b.submit(p, actionOf(p), { response: JSON.stringify(await auth.get(o)) });
    expect(done.status, done.html).toBe(200);
    expect(done.html).toContain("You are signed in");
    expect(b.cookie(`__Host-warden_${t}`)).toBeTruthy();
    const [s] = await rows<{ user_id: string; amr: string; browser_hash: string | null }>(t, "SELECT user_id, amr, browser_hash FROM sessions WHERE passkey_id IS NOT NULL");
    expect(s).toMatchObject({ user_id: user.id, amr: '["pop","mfa"]' });
    expect(s.browser_hash).not.toBeNull();
  });

  it("a bad passkey response shows the sign-in page again with an error", async () => {
    const { t, auth } = await userWithPasskey();
    const b = new Browser();
    const p = await b.get(`/v1/${t}/pages/sign-in`);
    const bad = await b.submit(p, actionOf(p), { response: JSON.stringify(await auth.get(optionsOf(p), { badSignature: true })) });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("The passkey was not accepted");
    const junk = await b.submit(p, actionOf(p), { response: "{not json" });
    expect(junk.status).toBe(400);
  });

  it("after a password sign-in the page offers a passkey; adding it lists it on the account page, where it can be removed", async () => {
    const t = await newTenant();
    const email = "offer@example.com";
    await signup(t, { email });
    const b = new Browser();
    const offer = await passwordSignIn(b, t, email);
    expect(offer.status).toBe(200);
    expect(offer.html).toContain("Sign in faster next time");
    const o = optionsOf(offer);
    expect(o.user.name).toBe(email);
    const auth = new SoftAuthenticator();
    const added = await b.submit(offer, actionOf(offer), { response: JSON.stringify(await auth.create(o)) });
    expect(added.status, added.html).toBe(200);
    expect(added.html).toContain("Passkey added.");
    expect(added.html).toContain("Passkey 1");
    // The next password sign-in does not offer again.
    const again = await passwordSignIn(new Browser(), t, email);
    expect(again.html).toContain("You are signed in");
    // Remove it from the account page.
    const account = await b.get(`/v1/${t}/pages/passkeys`);
    const id = field(account.html, "id")!;
    const removed = await b.submit(account, `/v1/${t}/pages/passkeys/remove`, { id });
    expect(removed.status).toBe(200);
    expect(removed.html).toContain("Passkey removed.");
    expect(await rows(t, "SELECT 1 FROM passkeys")).toEqual([]);
  });

  it("the account page needs a signed-in browser, and refuses to remove the last way in", async () => {
    const t = await newTenant();
    expect((await new Browser().get(`/v1/${t}/pages/passkeys`)).status).toBe(303);
    const b = new Browser();
    const up = await b.get(`/v1/${t}/pages/sign-in`);
    // A passkey-only account, signed up over REST, then signed in on the page with its passkey.
    const auth = new SoftAuthenticator();
    const o = await call("POST", `/v1/${t}/signup/passkey/options`, { body: { username: "solo" } });
    expect((await call("POST", `/v1/${t}/signup/passkey`, { body: { response: await auth.create(o.body) } })).status).toBe(201);
    await b.submit(up, actionOf(up), { response: JSON.stringify(await auth.get(optionsOf(up))) });
    const account = await b.get(`/v1/${t}/pages/passkeys`);
    expect(account.status).toBe(200);
    const r = await b.submit(account, `/v1/${t}/pages/passkeys/remove`, { id: field(account.html, "id")! });
    expect(r.status).toBe(409);
    expect(r.html).toContain("only way to sign in");
  });

  it("the MFA step offers the passkey and finishes with it", async () => {
    midStep();
    const { t, email, access, auth } = await userWithPasskey();
    await enableTotp(t, access);
    const b = new Browser();
    const mfa = await passwordSignIn(b, t, email);
    expect(mfa.html).toContain('name="code"');
    expect(actionOf(mfa)).toBe(`/v1/${t}/pages/sign-in/mfa/passkey`);
    const done = await b.submit(mfa, actionOf(mfa), { response: JSON.stringify(await auth.get(optionsOf(mfa))) });
    expect(done.status, done.html).toBe(200);
    expect(done.html).toContain("You are signed in");
  });
});
