/** @module The hosted pages: each renders with its CSP and a CSRF token; a POST without the right token is refused and changes nothing. */
import { describe, expect, it } from "vitest";
import { admin, newTenant, PASSWORD, signup, snapshot, uniq } from "../helpers.ts";
import { Browser, field } from "./kit.ts";

const STRICT = ["default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"];

function expectPage(p: { status: number; headers: Headers; html: string }, status = 200) {
  expect(p.status, p.html.slice(0, 500)).toBe(status);
  expect(p.headers.get("content-type")).toMatch(/^text\/html/);
  expect(p.headers.get("cache-control")).toBe("no-store");
  const csp = p.headers.get("content-security-policy")!;
  for (const d of STRICT) expect(csp).toContain(d);
  expect(csp).not.toContain("unsafe-inline");
  expect(p.html.startsWith("<!doctype html>")).toBe(true);
  expect(p.html).toContain('name="viewport"');
}

describe("hosted pages", () => {
  it("every page renders with the strict CSP, labelled inputs and a CSRF token in each form", async () => {
    const t = await newTenant();
    const b = new Browser();
    const token = "A".repeat(43);
    for (const path of ["sign-in", "sign-up", "magic-link", "password/forgot", `password/reset?token=${token}`, `magic-link?token=${token}`, `email/verify?token=${token}`, "sign-out"]) {
      const p = await b.get(`/v1/${t}/pages/${path}`);
      expectPage(p);
      expect(field(p.html, "csrf"), path).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const m of p.html.matchAll(/<input id="([^"]+)"/g)) expect(p.html, `${path}: label for ${m[1]}`).toContain(`<label for="${m[1]}">`);
    }
    const signIn = await b.get(`/v1/${t}/pages/sign-in`);
    expect(signIn.html).toContain('type="password"');
    expect(signIn.html).toContain('autocomplete="current-password"');
    // Passkeys in the username field's autofill (conditional mediation).
    expect(signIn.html).toContain('autocomplete="username webauthn"');
    // The CSRF cookie is HttpOnly and SameSite=Lax; over https-like hosts it is __Host-.
    expect(b.cookie("__Host-warden_csrf")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("6.2.6 6.2.7 every password field is masked and named for password managers; nothing limits or blocks what is typed or pasted", async () => {
    const t = await newTenant();
    const b = new Browser();
    const pages: Record<string, string> = { "sign-in": "current-password", "sign-up": "new-password", [`password/reset?token=${"A".repeat(43)}`]: "new-password" };
    for (const [path, autocomplete] of Object.entries(pages)) {
      const p = await b.get(`/v1/${t}/pages/${path}`);
      const inputs = [...p.html.matchAll(/<input[^>]*>/g)].map((m) => m[0]).filter((i) => /name="(password|new_password)"/.test(i));
      expect(inputs, path).toHaveLength(1);
      expect(inputs[0]).toContain('type="password"');
      expect(inputs[0]).toContain(`autocomplete="${autocomplete}"`);
      expect(inputs[0]).not.toMatch(/maxlength|pattern=|readonly|onpaste|oncopy|ondrop/i);
      // No handler could keep a password manager or a paste out; the one script (passkeys) never
      // touches paste, copy, drop or the password field.
      expect(p.html).not.toMatch(/onpaste|oncopy|ondrop|autocomplete="off"/i);
      for (const s of p.html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)) expect(s[1]).not.toMatch(/paste|copy|drop|preventDefault|password/i);
    }
  });

  it("the stylesheet is served by the Worker with the tenant's colour; branding shows on the page and in img-src", async () => {
    const t = await newTenant({ branding: { display_name: "Acme", logo_url: "https://cdn.acme.example/logo.svg", primary_color: "#aa3300" } });
    const b = new Browser();
    const css = await b.get(`/v1/${t}/pages/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect(css.html).toContain("--primary:#aa3300");
    const p = await b.get(`/v1/${t}/pages/sign-in`);
    expect(p.html).toContain("Sign in to Acme");
    expect(p.html).toContain('src="https://cdn.acme.example/logo.svg"');
    expect(p.headers.get("content-security-policy")).toContain("img-src 'self' https://cdn.acme.example;");
  });

  it("branding settings are validated: an http logo or a colour that is not #rrggbb is refused", async () => {
    const t = await newTenant();
    for (const branding of [{ logo_url: "http://cdn.example/logo.png" }, { primary_color: "red; } body { display:none" }, { display_name: "" }]) {
      const r = await admin("PATCH", `/tenants/${t}`, { settings: { branding } });
      expect(r.status, JSON.stringify(branding)).toBe(400);
    }
  });

  it("Turnstile's script origin is allowed only where the tenant uses Turnstile", async () => {
    const plain = await newTenant();
    const p1 = await new Browser().get(`/v1/${plain}/pages/sign-in`);
    expect(p1.headers.get("content-security-policy")).not.toContain("challenges.cloudflare.com");
    // The one script is the passkey ceremony's, allowed by its hash alone.
    expect(p1.html.match(/<script/g)).toHaveLength(1);
    expect(p1.headers.get("content-security-policy")).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    const t = await newTenant({ turnstile: { required_for: ["login"], site_key: "1x00000000000000000000AA" } });
    const p2 = await new Browser().get(`/v1/${t}/pages/sign-in`);
    expect(p2.headers.get("content-security-policy")).toMatch(/script-src 'sha256-[^']+' https:\/\/challenges\.cloudflare\.com(;|$)/);
    expect(p2.html).toContain('data-sitekey="1x00000000000000000000AA"');
  });

  it("a sign-in POST with the CSRF token missing, wrong, or from another browser is refused and changes nothing", async () => {
    const t = await newTenant();
    const email = `${uniq("u")}@example.com`;
    await signup(t, { email });
    const b = new Browser();
    const page = await b.get(`/v1/${t}/pages/sign-in`);
    const other = new Browser();
    const theirs = field((await other.get(`/v1/${t}/pages/sign-in`)).html, "csrf")!;
    const before = await snapshot(t);
    for (const csrf of [undefined, "x".repeat(43), theirs]) {
      const form: Record<string, string> = { login: email, password: PASSWORD };
      if (csrf) form.csrf = csrf;
      const r = await b.request("POST", `/v1/${t}/pages/sign-in`, form);
      expectPage(r, 403);
      expect(r.html).toContain("This form has expired");
      expect(b.cookie("__Host-warden_t")).toBeUndefined();
    }
    // Without the CSRF cookie at all, even the right-looking field fails.
    const fresh = new Browser();
    expectPage(await fresh.request("POST", `/v1/${t}/pages/sign-in`, { csrf: field(page.html, "csrf")!, login: email, password: PASSWORD }), 403);
    expect(await snapshot(t)).toEqual(before);
  });

  it("a wrong password re-renders the sign-in page with one message for every credential failure", async () => {
    const t = await newTenant();
    const email = `${uniq("u")}@example.com`;
    await signup(t, { email });
    const b = new Browser();
    const page = await b.get(`/v1/${t}/pages/sign-in`);
    const wrong = await b.submit(page, `/v1/${t}/pages/sign-in`, { login: email, password: "not the password at all" });
    const unknown = await b.submit(page, `/v1/${t}/pages/sign-in`, { login: "nobody@example.com", password: PASSWORD });
    expectPage(wrong, 400);
    expectPage(unknown, 400);
    expect(wrong.html).toContain("do not match");
    expect(unknown.html).toContain("do not match");
    expect(b.cookie(`__Host-warden_${t}`)).toBeUndefined();
  });

  it("sign-up on the page creates the account and signs the browser in; closed sign-up has no page", async () => {
    const t = await newTenant();
    const b = new Browser();
    const page = await b.get(`/v1/${t}/pages/sign-up`);
    const done = await b.submit(page, `/v1/${t}/pages/sign-up`, { email: `${uniq("u")}@example.com`, password: PASSWORD });
    expectPage(done);
    expect(done.html).toContain("You are signed in");
    expect(b.cookie(`__Host-warden_${t}`)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const closed = await newTenant({ signup: { enabled: false } });
    expectPage(await new Browser().get(`/v1/${closed}/pages/sign-up`), 404);
  });

  it("an unknown page is the JSON not_found like any unknown route; an unknown tenant has no page", async () => {
    const r = await new Browser().get(`/v1/${uniq("nope")}/pages/sign-in`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.html).error.code).toBe("tenant_not_found");
  });
});
