/** @module The GitHub preset: plain OAuth 2 with PKCE, then `/user` and `/user/emails` (mocked), trusting only a verified primary email. */
import { describe, expect, it, vi } from "vitest";
import { admin, bodyText, count, newTenant, rows, signup, uniq } from "../helpers.ts";
import { Browser } from "../pages/kit.ts";
import { identitiesIn, useUpstream } from "./kit.ts";

const up = useUpstream();

async function githubTenant(settings: Record<string, unknown> = {}) {
  const a = await newTenant(settings);
  const r = await admin("POST", `/tenants/${a}/identity-providers`, { id: "github", type: "github", client_id: "Iv1.0123456789abcdef", client_secret: "gh-secret-0123456789" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.scopes).toBe("read:user user:email");
  return a;
}

/** Starts at A and comes back as GitHub would, with a code and the state. */
async function roundTrip(a: string) {
  const browser = new Browser();
  const start = await browser.get(`/v1/${a}/idp/github/start`);
  expect(start.status).toBe(303);
  const u = new URL(start.location!);
  expect(`${u.origin}${u.pathname}`).toBe("https://github.com/login/oauth/authorize");
  expect(u.searchParams.get("code_challenge_method")).toBe("S256");
  const page = await browser.get(`/v1/${a}/idp/github/callback?code=gh-code-1&state=${u.searchParams.get("state")}`);
  return { page, browser };
}

describe("GitHub", () => {
  it("a verified primary email makes the account; the token request carries the secret and the PKCE verifier", async () => {
    const a = await githubTenant();
    const email = `${uniq("gh")}@example.com`;
    up.github.emails = [{ email: `other-${email}`, primary: false, verified: true }, { email, primary: true, verified: true }];
    let tokenBody = "";
    const mocked = vi.mocked(globalThis.fetch).getMockImplementation()!;
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (req.url === "https://github.com/login/oauth/access_token") tokenBody = await bodyText(req.clone());
      if (req.url.startsWith("https://api.github.com/")) expect(req.headers.get("authorization")).toBe("Bearer gho_test");
      return mocked(req);
    });
    const { page } = await roundTrip(a);
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    const q = new URLSearchParams(tokenBody);
    expect(q.get("client_secret")).toBe("gh-secret-0123456789");
    expect(q.get("code")).toBe("gh-code-1");
    expect(q.get("code_verifier")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [user] = await rows<{ email: string; email_verified: number }>(a, "SELECT email, email_verified FROM users");
    expect(user).toEqual({ email, email_verified: 1 });
    const [idn] = await identitiesIn(a);
    expect(idn).toMatchObject({ issuer: "https://github.com", subject: "4242", email_verified: 1 });
  });

  it("no verified primary email: refused, nothing created, and a verified secondary address does not count", async () => {
    const a = await githubTenant();
    for (const emails of [[], [{ email: "p@example.com", primary: true, verified: false }, { email: "s@example.com", primary: false, verified: true }]]) {
      up.github.emails = emails;
      const { page } = await roundTrip(a);
      expect(page.status).toBe(400);
      expect(page.html).toContain("idp_no_email");
    }
    expect(await count(a, "users")).toBe(0);
  });

  it("a GitHub address that is unverified never links to the local account that has it", async () => {
    const a = await githubTenant();
    const email = `${uniq("gh")}@example.com`;
    await signup(a, { email });
    up.github.emails = [{ email, primary: true, verified: false }];
    const { page } = await roundTrip(a);
    expect(page.status).toBe(400);
    expect(await count(a, "identities")).toBe(0);
  });

  it("GitHub refusing the code (an error body with 200) signs nobody in", async () => {
    const a = await githubTenant();
    up.github.token = { error: "bad_verification_code" };
    const { page } = await roundTrip(a);
    expect(page.status).toBe(400);
    expect(page.html).toContain("idp_upstream");
    expect(await count(a, "users")).toBe(0);
  });
});
