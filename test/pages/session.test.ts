/**
 * @module The browser session of the hosted pages: a new cookie at every sign-in (only its
 * hash stored), dead as soon as its Warden session is, MFA and magic links through the same
 * flows as the REST routes, and RP-initiated logout without open redirects.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { sha256B64 } from "../../src/crypto/digest.ts";
import { call, login, PASSWORD, rows, snapshot } from "../helpers.ts";
import { enableTotp, lastMessage, midStep, tenantWithUser, totp, useMockOutbound } from "../account/kit.ts";
import { authorizeUrl, Browser, field, newClient, pkce, REDIRECT, type Page } from "./kit.ts";

const out = useMockOutbound();

async function signedIn(t: string, email: string, b = new Browser()) {
  const page = await b.get(`/v1/${t}/pages/sign-in`);
  const done = await b.submit(page, `/v1/${t}/pages/sign-in`, { login: email, password: PASSWORD });
  expect(done.html, done.html.slice(0, 400)).toContain("You are signed in");
  return b;
}

const cookieOf = (b: Browser, t: string) => b.cookie(`__Host-warden_${t}`)!;

async function code(b: Browser, t: string, cid: string, challenge: string, extra: Record<string, string> = {}): Promise<Page> {
  return b.get(authorizeUrl(t, cid, challenge, extra));
}

describe("browser session", () => {
  it("every sign-in issues a new cookie bound to a new session; the old cookie stops working; only the hash is stored", async () => {
    const { t, email } = await tenantWithUser();
    const b = await signedIn(t, email);
    const first = cookieOf(b, t);
    const stored = await rows<{ browser_hash: string }>(t, "SELECT browser_hash FROM sessions WHERE browser_hash IS NOT NULL");
    expect(stored).toEqual([{ browser_hash: sha256B64(first) }]);
    await signedIn(t, email, b);
    const second = cookieOf(b, t);
    expect(second).not.toBe(first);
    expect(await rows(t, "SELECT id FROM sessions WHERE browser_hash = ?", sha256B64(first))).toEqual([]);
    // The old cookie, replayed, is signed out.
    const replay = new Browser();
    replay.jar.set(`__Host-warden_${t}`, first);
    expect((await replay.get(`/v1/${t}/pages/apps`)).status).toBe(303);
    expect((await b.get(`/v1/${t}/pages/apps`)).status).toBe(200);
    // The cookie's attributes.
    const p = await new Browser().get(`/v1/${t}/pages/sign-in`);
    const r = await new Browser().request("POST", `/v1/${t}/pages/sign-in`, { csrf: field(p.html, "csrf")!, login: email, password: PASSWORD });
    expect(r.status).toBe(403); // another browser's CSRF token
  });

  it("the cookie is HttpOnly, SameSite=Lax, Secure with the __Host- prefix; on loopback http it is scoped to the tenant's path", async () => {
    const { t, email } = await tenantWithUser();
    for (const [base, name, attrs] of [
      ["http://warden.test", `__Host-warden_${t}`, ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"]],
      ["http://127.0.0.1:8787", `warden_${t}`, ["HttpOnly", "SameSite=Lax", `Path=/v1/${t}/`]],
    ] as const) {
      const b = new Browser();
      const page = await b.get(`${base}/v1/${t}/pages/sign-in`);
      const res = await b.request("POST", `${base}/v1/${t}/pages/sign-in`, { csrf: field(page.html, "csrf")!, login: email, password: PASSWORD });
      const set = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))!;
      expect(set, base).toBeTruthy();
      for (const a of attrs) expect(set).toContain(a);
      if (!name.startsWith("__Host-")) expect(set).not.toContain("Secure");
    }
  });

  it("logout-all from the API kills the browser session: prompt=none is login_required and the apps page signs out", async () => {
    const { t, email } = await tenantWithUser();
    const cid = await newClient(t, { first_party: true });
    const { challenge } = await pkce();
    const b = await signedIn(t, email);
    const ok1 = await code(b, t, cid, challenge, { prompt: "none" });
    expect(new URL(ok1.location!).searchParams.get("code")).toBeTruthy();
    const api = await login(t, email);
    expect((await call("POST", `/v1/${t}/logout-all`, { token: api.body.access_token })).status).toBe(204);
    const after = await code(b, t, cid, challenge, { prompt: "none" });
    expect(new URL(after.location!).searchParams.get("error")).toBe("login_required");
    expect((await b.get(`/v1/${t}/pages/apps`)).status).toBe(303);
  });

  it("revoking the session from the API (DELETE /sessions/{id}) ends the browser's sign-in too", async () => {
    const { t, email, access } = await tenantWithUser();
    const b = await signedIn(t, email);
    const [s] = await rows<{ id: string }>(t, "SELECT id FROM sessions WHERE browser_hash IS NOT NULL");
    expect((await call("DELETE", `/v1/${t}/sessions/${s.id}`, { token: access })).status).toBe(204);
    expect((await b.get(`/v1/${t}/pages/apps`)).status).toBe(303);
  });

  it("with TOTP the page asks for the code, counts wrong codes like the REST route, and signs in with a right one", async () => {
    const { t, email, access } = await tenantWithUser();
    midStep();
    const { secret } = await enableTotp(t, access);
    const b = new Browser();
    const page = await b.get(`/v1/${t}/pages/sign-in`);
    const mfa = await b.submit(page, `/v1/${t}/pages/sign-in`, { login: email, password: PASSWORD });
    expect(mfa.html).toContain('autocomplete="one-time-code"');
    expect(cookieOf(b, t)).toBeUndefined();
    const wrong = await b.submit(mfa, `/v1/${t}/pages/sign-in/mfa`, { code: "000000" === totp(secret) ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain("That code is not valid");
    const [{ count }] = await rows<{ count: number }>(t, "SELECT count FROM attempts WHERE key LIKE 'acct:%'");
    expect(count).toBeGreaterThan(0);
    clock.advance(30_000); // the enrolment spent the current step (RFC 6238 section 5.2)
    const done = await b.submit(wrong, `/v1/${t}/pages/sign-in/mfa`, { code: totp(secret) });
    expect(done.html).toContain("You are signed in");
    const [s] = await rows<{ amr: string }>(t, "SELECT amr FROM sessions WHERE browser_hash IS NOT NULL");
    expect(JSON.parse(s.amr)).toEqual(["pwd", "otp"]);
  });

  it("a magic link opened in another browser signs that browser in but does not complete the original request", async () => {
    const { t, email } = await tenantWithUser();
    const cid = await newClient(t, { first_party: true });
    const { challenge } = await pkce();
    const a = new Browser();
    const signIn = await code(a, t, cid, challenge);
    const askPage = await a.get(`/v1/${t}/pages/magic-link?flow=${encodeURIComponent(field(signIn.html, "flow")!)}`);
    const sent = await a.submit(askPage, `/v1/${t}/pages/magic-link`, { email });
    expect(sent.html).toContain("Check your email");
    const msg = await lastMessage(out, t, "magic_link", email);
    // A GET of the link spends nothing (mail scanners); the button's POST does.
    const other = new Browser();
    const linkPage = await other.get(`/v1/${t}/pages/magic-link?token=${msg.token}`);
    expect(linkPage.html).toContain("Finish signing in");
    expect((await rows(t, "SELECT consumed_at FROM one_time_tokens WHERE purpose = 'magic_link' AND consumed_at IS NOT NULL")).length).toBe(0);
    const done = await other.submit(linkPage, `/v1/${t}/pages/magic-link/verify`);
    expect(done.status).toBe(200);
    expect(done.html).toContain("You are signed in");
    expect(done.location).toBeNull();
    expect(await rows(t, "SELECT hash FROM authorization_codes")).toEqual([]);
    // The first browser is still not signed in: its "continue" shows the sign-in page again.
    const cont = sent.html.match(/href="([^"]*authorize\/continue[^"]*)"/)![1].replace(/&amp;/g, "&");
    expect((await a.get(cont)).html).toContain('name="password"');
    // Opened in the same browser, the continue link completes the request.
    const same = await a.get(`/v1/${t}/pages/magic-link?token=${(await (async () => {
      const p = await a.get(`/v1/${t}/pages/magic-link?flow=${encodeURIComponent(field(signIn.html, "flow")!)}`);
      await a.submit(p, `/v1/${t}/pages/magic-link`, { email });
      return (await lastMessage(out, t, "magic_link", email)).token;
    })())}`);
    await a.submit(same, `/v1/${t}/pages/magic-link/verify`);
    const finished = await a.get(cont);
    expect(finished.status).toBe(303);
    expect(new URL(finished.location!).searchParams.get("code")).toBeTruthy();
  });

  it("the reset page consumes the emailed token with a POST and signs every device out", async () => {
    const { t, email } = await tenantWithUser();
    const b = await signedIn(t, email);
    const ask = await b.get(`/v1/${t}/pages/password/forgot`);
    await b.submit(ask, `/v1/${t}/pages/password/forgot`, { email });
    const msg = await lastMessage(out, t, "password_reset", email);
    const page = await b.get(`/v1/${t}/pages/password/reset?token=${msg.token}`);
    expect(page.html).toContain('autocomplete="new-password"');
    const done = await b.submit(page, `/v1/${t}/pages/password/reset`, { new_password: "a brand new passphrase here" });
    expect(done.html).toContain("Password changed");
    expect((await b.get(`/v1/${t}/pages/apps`)).status).toBe(303);
    expect((await login(t, email, "a brand new passphrase here")).status).toBe(200);
  });
});

describe("email verification on the pages", () => {
  it("the link completes only in a browser signed in to that account; elsewhere it asks to sign in and spends nothing", async () => {
    const { t, email, access } = await tenantWithUser();
    expect((await call("POST", `/v1/${t}/email/verify/request`, { token: access })).status).toBe(202);
    const msg = await lastMessage(out, t, "email_verify", email);
    const stranger = new Browser();
    const p1 = await stranger.get(`/v1/${t}/pages/email/verify?token=${msg.token}`);
    const refused = await stranger.submit(p1, `/v1/${t}/pages/email/verify`);
    expect(refused.html).toContain("Sign in to the account first");
    expect((await rows<{ email_verified: number }>(t, "SELECT email_verified FROM users"))[0].email_verified).toBe(0);
    const owner = await signedIn(t, email);
    const p2 = await owner.get(`/v1/${t}/pages/email/verify?token=${msg.token}`);
    const done = await owner.submit(p2, `/v1/${t}/pages/email/verify`);
    expect(done.html).toContain("Email verified");
    expect((await rows<{ email_verified: number }>(t, "SELECT email_verified FROM users"))[0].email_verified).toBe(1);
  });
});

describe("RP-initiated logout", () => {
  async function withIdToken() {
    const { t, email } = await tenantWithUser();
    const cid = await newClient(t, { first_party: true });
    const { verifier, challenge } = await pkce();
    const b = await signedIn(t, email);
    const c = new URL((await code(b, t, cid, challenge)).location!).searchParams.get("code")!;
    const tok = await call("POST", `/v1/${t}/oauth/token`, {
      raw: new URLSearchParams({ grant_type: "authorization_code", code: c, redirect_uri: REDIRECT, client_id: cid, code_verifier: verifier }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(tok.status, JSON.stringify(tok.body)).toBe(200);
    return { t, cid, b, idToken: tok.body.id_token as string, challenge };
  }

  it("with a valid id_token_hint the session ends and the browser goes to the registered post_logout_redirect_uri with state", async () => {
    const { t, cid, b, idToken, challenge } = await withIdToken();
    const q = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: "https://app.example/bye", state: "s-9" });
    const r = await b.get(`/v1/${t}/oauth/logout?${q}`);
    expect(r.status).toBe(303);
    expect(r.location).toBe("https://app.example/bye?state=s-9");
    expect(await rows(t, "SELECT id FROM sessions WHERE revoked_at IS NULL AND browser_hash IS NOT NULL")).toEqual([]);
    const events = await rows<{ type: string }>(t, "SELECT type FROM events WHERE type = 'session.revoked'");
    expect(events.length).toBeGreaterThan(0);
    expect(new URL((await code(b, t, cid, challenge, { prompt: "none" })).location!).searchParams.get("error")).toBe("login_required");
  });

  it("open-redirect attempts through post_logout_redirect_uri get the error page and end nothing", async () => {
    const { t, cid, b, idToken } = await withIdToken();
    const before = await snapshot(t);
    const attempts: Record<string, string>[] = [
      { id_token_hint: idToken, post_logout_redirect_uri: "https://evil.example/" },
      { id_token_hint: idToken, post_logout_redirect_uri: "https://app.example/bye/../../evil" },
      { id_token_hint: idToken, post_logout_redirect_uri: "https://app.example/bye?x=1" },
      { post_logout_redirect_uri: "https://app.example/bye" },
      { client_id: cid, post_logout_redirect_uri: "https://evil.example/" },
      { id_token_hint: `${idToken.slice(0, -4)}AAAA`, post_logout_redirect_uri: "https://app.example/bye" },
      { id_token_hint: idToken, client_id: "wc_AAAAAAAAAAAAAAAAAAAAAA" },
    ];
    for (const q of attempts) {
      const r = await b.get(`/v1/${t}/oauth/logout?${new URLSearchParams(q)}`);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(r.location).toBeNull();
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it("without a hint the user confirms on a page first; the POST needs its CSRF token", async () => {
    const { t, cid, b } = await withIdToken();
    const page = await b.get(`/v1/${t}/oauth/logout?${new URLSearchParams({ client_id: cid, post_logout_redirect_uri: "https://app.example/bye", state: "x" })}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Sign out?");
    expect(page.headers.get("content-security-policy")).toContain("form-action 'self' https://app.example");
    const before = await snapshot(t);
    const forged = await b.request("POST", `/v1/${t}/oauth/logout`, { confirm: "yes", client_id: cid });
    expect(forged.status).toBe(403);
    expect(await snapshot(t)).toEqual(before);
    const fields: Record<string, string> = { confirm: "yes" };
    for (const k of ["csrf", "client_id", "post_logout_redirect_uri", "state"]) fields[k] = field(page.html, k)!;
    const done = await b.request("POST", `/v1/${t}/oauth/logout`, fields);
    expect(done.status).toBe(303);
    expect(done.location).toBe("https://app.example/bye?state=x");
    expect(await rows(t, "SELECT id FROM sessions WHERE revoked_at IS NULL AND browser_hash IS NOT NULL")).toEqual([]);
    expect(cookieOf(b, t)).toBeUndefined();
  });
});

