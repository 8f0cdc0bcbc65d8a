/**
 * @module `/oauth/authorize`: the check pipeline's every refusal (an error page where the client
 * cannot be trusted with an answer, a redirect with `error`, `state` and `iss` otherwise), and
 * the code flow through the hosted pages to the token endpoint.
 */
import { describe, expect, it } from "vitest";
import { apiKey, call, introspect, newTenant, PASSWORD, rows, signup, uniq } from "../helpers.ts";
import { authorizeUrl, Browser, field, newClient, pkce, REDIRECT, type Page } from "./kit.ts";

async function setup(clientOpts: Record<string, unknown> = {}) {
  const t = await newTenant();
  const email = `${uniq("u")}@example.com`;
  await signup(t, { email });
  const cid = await newClient(t, clientOpts);
  const { verifier, challenge } = await pkce();
  return { t, email, cid, verifier, challenge };
}

const codes = (t: string) => rows(t, "SELECT hash FROM authorization_codes").then((r) => r.length);

function redirectParams(p: Page): URLSearchParams {
  expect(p.status, p.html.slice(0, 300)).toBe(303);
  const u = new URL(p.location!);
  expect(`${u.origin}${u.pathname}`).toBe(REDIRECT);
  return u.searchParams;
}

async function signIn(b: Browser, t: string, page: Page, email: string) {
  expect(page.html).toContain('action="/v1/' + t + '/pages/sign-in"');
  return b.submit(page, `/v1/${t}/pages/sign-in`, { login: email, password: PASSWORD });
}

async function token(t: string, cid: string, code: string, verifier: string) {
  return call("POST", `/v1/${t}/oauth/token`, {
    raw: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: cid, code_verifier: verifier }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

describe("authorize: refusals", () => {
  it("an unknown client gets an error page, never a redirect, and no code", async () => {
    const { t, challenge } = await setup();
    const p = await new Browser().get(authorizeUrl(t, "wc_AAAAAAAAAAAAAAAAAAAAAA", challenge));
    expect(p.status).toBe(400);
    expect(p.location).toBeNull();
    expect(p.html).toContain("not registered");
    expect(p.headers.get("content-security-policy")).toContain("form-action 'self';");
    expect(await codes(t)).toBe(0);
  });

  it("an unregistered or missing redirect URI gets an error page, never a redirect", async () => {
    const { t, cid, challenge } = await setup();
    for (const redirect_uri of ["https://evil.example/cb", "https://app.example/cb/../x", "https://app.example/cb?x=1", ""]) {
      const p = await new Browser().get(authorizeUrl(t, cid, challenge, { redirect_uri }));
      expect(p.status, redirect_uri).toBe(400);
      expect(p.location).toBeNull();
      expect(p.html).not.toContain("evil.example");
    }
    expect(await codes(t)).toBe(0);
  });

  it("missing PKCE, plain PKCE, a malformed challenge: invalid_request to the client with state and iss", async () => {
    const { t, cid, challenge } = await setup();
    const noPkce = authorizeUrl(t, cid, challenge).replace(/&code_challenge=[^&]+/, "").replace(/&code_challenge_method=S256/, "");
    for (const url of [noPkce, authorizeUrl(t, cid, challenge, { code_challenge_method: "plain" }), authorizeUrl(t, cid, "short", {}), authorizeUrl(t, cid, challenge).replace("&code_challenge_method=S256", "")]) {
      const q = redirectParams(await new Browser().get(url));
      expect(q.get("error")).toBe("invalid_request");
      expect(q.get("error_description")).toMatch(/code_challenge/);
      expect(q.get("state")).toBe("st-123");
      expect(q.get("iss")).toBe(`http://warden.test/v1/${t}`);
      expect(q.get("code")).toBeNull();
    }
    expect(await codes(t)).toBe(0);
  });

  it("a scope the client may not ask for is invalid_scope; so is an unknown one", async () => {
    const { t, cid, challenge } = await setup({ scope: "openid email" });
    for (const scope of ["openid profile", "openid admin:everything", "offline_access"]) {
      const q = redirectParams(await new Browser().get(authorizeUrl(t, cid, challenge, { scope })));
      expect(q.get("error"), scope).toBe("invalid_scope");
      expect(q.get("state")).toBe("st-123");
    }
  });

  it("prompt=none without a session is login_required; other bad parameters are refused by name", async () => {
    const { t, cid, challenge } = await setup();
    const cases: [Record<string, string>, string][] = [
      [{ prompt: "none" }, "login_required"],
      [{ prompt: "none login" }, "invalid_request"],
      [{ prompt: "select_account" }, "invalid_request"],
      [{ max_age: "-1" }, "invalid_request"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ response_mode: "fragment" }, "invalid_request"],
      [{ request: "eyJ.x.y" }, "request_not_supported"],
      [{ resource: "not a uri" }, "invalid_target"],
    ];
    for (const [extra, error] of cases) {
      const q = redirectParams(await new Browser().get(authorizeUrl(t, cid, challenge, extra)));
      expect(q.get("error"), JSON.stringify(extra)).toBe(error);
    }
    // A parameter sent twice (RFC 6749 section 3.1).
    const q = redirectParams(await new Browser().get(`${authorizeUrl(t, cid, challenge)}&scope=openid`));
    expect(q.get("error")).toBe("invalid_request");
    expect(await codes(t)).toBe(0);
  });

  it("the user denying consent is access_denied, and no code or consent is stored", async () => {
    const { t, email, cid, challenge } = await setup();
    const b = new Browser();
    const consent = await signIn(b, t, await b.get(authorizeUrl(t, cid, challenge)), email);
    expect(consent.html).toContain("Example App wants to access your account");
    const q = redirectParams(await b.submit(consent, `/v1/${t}/pages/consent`, { decision: "deny" }));
    expect(q.get("error")).toBe("access_denied");
    expect(await codes(t)).toBe(0);
    expect(await rows(t, "SELECT * FROM consents")).toEqual([]);
  });

  it("a consent POST without the CSRF token is refused and issues nothing", async () => {
    const { t, email, cid, challenge } = await setup();
    const b = new Browser();
    const consent = await signIn(b, t, await b.get(authorizeUrl(t, cid, challenge)), email);
    const r = await b.request("POST", `/v1/${t}/pages/consent`, { flow: field(consent.html, "flow")!, decision: "allow" });
    expect(r.status).toBe(403);
    expect(await codes(t)).toBe(0);
    expect(await rows(t, "SELECT * FROM consents")).toEqual([]);
  });

  it("a tampered flow is refused", async () => {
    const { t, email, cid, challenge } = await setup();
    const b = new Browser();
    const page = await b.get(authorizeUrl(t, cid, challenge));
    const flow = field(page.html, "flow")!;
    const [body, mac] = flow.split(".");
    const forged = JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/")));
    forged.p.redirect_uri = "https://evil.example/cb";
    const forgedBody = btoa(JSON.stringify(forged)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const r = await b.request("POST", `/v1/${t}/pages/sign-in`, { csrf: field(page.html, "csrf")!, flow: `${forgedBody}.${mac}`, login: email, password: PASSWORD });
    expect(r.status).toBe(400);
    expect(r.location).toBeNull();
    expect(b.cookie(`__Host-warden_${t}`)).toBeUndefined();
  });
});

describe("authorize: the code flow", () => {
  it("sign in, consent, code (bound to the session), tokens; the consent is remembered and a second client needs no password", async () => {
    const { t, email, cid, verifier, challenge } = await setup();
    const b = new Browser();
    const signInPage = await b.get(authorizeUrl(t, cid, challenge));
    expect(signInPage.html).toContain("to continue to Example App");
    // The sign-in page's form may end in a redirect to the client: its origin is in form-action.
    expect(signInPage.headers.get("content-security-policy")).toContain("form-action 'self' https://app.example;");
    const consent = await signIn(b, t, signInPage, email);
    expect(consent.headers.get("content-security-policy")).toContain("form-action 'self' https://app.example;");
    const q = redirectParams(await b.submit(consent, `/v1/${t}/pages/consent`, { decision: "allow" }));
    expect(q.get("state")).toBe("st-123");
    expect(q.get("iss")).toBe(`http://warden.test/v1/${t}`);
    const code = q.get("code")!;
    const [stored] = await rows<{ session_id: string }>(t, "SELECT session_id FROM authorization_codes");
    const [session] = await rows<{ id: string }>(t, "SELECT id FROM sessions WHERE browser_hash IS NOT NULL");
    expect(stored.session_id).toBe(session.id);
    const tok = await token(t, cid, code, verifier);
    expect(tok.status, JSON.stringify(tok.body)).toBe(200);
    expect(typeof tok.body.id_token).toBe("string");

    // Remembered: the same client again goes straight back with a code, prompt=none too.
    const again = redirectParams(await b.get(authorizeUrl(t, cid, challenge, { prompt: "none" })));
    expect(again.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A second client: no password, only its consent.
    const cid2 = await newClient(t, { client_name: "Second App" });
    const c2 = await b.get(authorizeUrl(t, cid2, challenge));
    expect(c2.html).toContain("Second App wants to access your account");
    expect(redirectParams(await b.get(authorizeUrl(t, cid2, challenge, { prompt: "none" }))).get("error")).toBe("consent_required");
  });

  it("a first-party client skips consent; prompt=login and max_age=0 ask for the password again", async () => {
    const { t, email, cid, challenge } = await setup({ first_party: true });
    const b = new Browser();
    const first = redirectParams(await signIn(b, t, await b.get(authorizeUrl(t, cid, challenge)), email));
    expect(first.get("code")).toBeTruthy();
    for (const extra of [{ prompt: "login" }, { max_age: "0" }] as Record<string, string>[]) {
      const again = await b.get(authorizeUrl(t, cid, challenge, extra));
      expect(again.status, JSON.stringify(extra)).toBe(200);
      expect(again.html).toContain('name="password"');
      const done = redirectParams(await signIn(b, t, again, email));
      expect(done.get("code")).toBeTruthy();
    }
  });

  it("response_mode=form_post answers with an auto-submitting form whose script is allowed by hash only", async () => {
    const { t, email, cid, challenge } = await setup({ first_party: true });
    const b = new Browser();
    const p = await signIn(b, t, await b.get(authorizeUrl(t, cid, challenge, { response_mode: "form_post" })), email);
    expect(p.status).toBe(200);
    const csp = p.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("form-action 'self' https://app.example");
    expect(p.html).toContain(`action="${REDIRECT}"`);
    expect(field(p.html, "code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(field(p.html, "state")).toBe("st-123");
    expect(field(p.html, "iss")).toBe(`http://warden.test/v1/${t}`);
    expect(p.html).toContain('<button type="submit">');
  });

  it("removing the app on the apps page forgets the consent and ends its grant", async () => {
    const { t, email, cid, verifier, challenge } = await setup();
    const b = new Browser();
    const consent = await signIn(b, t, await b.get(authorizeUrl(t, cid, challenge)), email);
    const code = redirectParams(await b.submit(consent, `/v1/${t}/pages/consent`, { decision: "allow" })).get("code")!;
    const tok = await token(t, cid, code, verifier);
    expect(tok.status).toBe(200);
    const apps = await b.get(`/v1/${t}/pages/apps`);
    expect(apps.html).toContain("Example App");
    const removed = await b.submit(apps, `/v1/${t}/pages/apps/remove`, { client_id: cid });
    expect(removed.html).toContain("Access removed.");
    expect(await rows(t, "SELECT * FROM consents")).toEqual([]);
    const live = await rows(t, "SELECT id FROM grants WHERE client_id = ? AND revoked_at IS NULL", cid);
    expect(live).toEqual([]);
    expect(await introspect(t, await apiKey(t), tok.body.access_token)).toEqual({ active: false });
    // The browser is still signed in, and the next authorization asks again.
    expect((await b.get(authorizeUrl(t, cid, challenge))).html).toContain("wants to access your account");
  });
});
