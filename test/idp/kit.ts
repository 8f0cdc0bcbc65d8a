/**
 * @module Upstream sign-in test kit. The upstream is a real OpenID Provider: a second Warden
 * tenant (B) with a client registered for tenant A's callback. Tenant A's outbound fetches
 * (discovery, JWKS, token) are routed to B through the Worker itself (`SELF.fetch`); GitHub's
 * API is answered by `github` below. `tamper` lets a test stand between A and B, as an
 * attacker on the path would (e.g. swap the ID token for another B issued).
 */
import { SELF, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, expect, vi } from "vitest";
import { clock } from "../../src/clock.ts";
import { forgetUpstreamCaches } from "../../objects/tenant/idp/upstream.ts";
import { contractViolation } from "../contract.ts";
import { admin, BASE, newTenant, PASSWORD, signup, stub, uniq } from "../helpers.ts";
import { Browser, type Page } from "../pages/kit.ts";

export interface Upstream {
  /** Every outbound request tenant A's object made, method and URL. */
  calls: string[];
  /** Rewrites B's answer to A (after B answered). */
  tamper: ((url: string, res: Response) => Promise<Response>) | null;
  /** GitHub's API: `/user`, `/user/emails` (null: 404), and the token endpoint's answer. */
  github: { user: Record<string, unknown>; emails: Record<string, unknown>[] | null; token: Record<string, unknown> };
}

export function useUpstream(): Upstream {
  const u: Upstream = { calls: [], tamper: null, github: { user: {}, emails: [], token: {} } };
  beforeEach(() => {
    Object.assign(u, { calls: [], tamper: null, github: { user: { id: 4242, login: "octo" }, emails: [], token: { access_token: "gho_test", token_type: "bearer", scope: "read:user,user:email" } } });
    forgetUpstreamCaches();
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      u.calls.push(`${req.method} ${req.url}`);
      expect(req.redirect).toBe("manual");
      if (req.url.startsWith(`${BASE}/`)) {
        const res = await SELF.fetch(req);
        // B's answers to A (discovery, JWKS, token) are documented operations: hold them to the document.
        const text = await res.clone().text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        const violation = contractViolation(req.method, new URL(req.url).pathname, res.status, res.headers.get("content-type"), parsed);
        if (violation) throw new Error(`answer does not match the OpenAPI document: ${violation}`);
        return u.tamper ? u.tamper(req.url, res) : res;
      }
      if (req.url === "https://github.com/login/oauth/access_token") return Response.json(u.github.token);
      if (req.url === "https://api.github.com/user") return Response.json(u.github.user);
      if (req.url === "https://api.github.com/user/emails") return u.github.emails ? Response.json(u.github.emails) : new Response("{}", { status: 404 });
      throw new Error(`unexpected outbound fetch: ${req.method} ${req.url}`);
    });
  });
  afterEach(() => {
    clock.reset();
    vi.restoreAllMocks();
  });
  return u;
}

export const callbackOf = (a: string, id: string) => `${BASE}/v1/${a}/idp/${id}/callback`;

/** Tenant B's client for A's callback. The admin API takes only https or loopback redirects, so the test's http callback is written in afterwards. */
export async function upstreamClient(b: string, a: string, id: string, o: Record<string, unknown> = {}) {
  const r = await admin("POST", `/tenants/${b}/clients`, { client_name: `Tenant ${a}`, redirect_uris: ["https://placeholder.example/cb"], first_party: true, ...o });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await runInDurableObject(stub(b), (_o, state) => {
    state.storage.sql.exec("UPDATE clients SET metadata = json_set(metadata, '$.redirect_uris', json_array(?)) WHERE client_id = ?", callbackOf(a, id), r.body.client_id);
  });
  return r.body as { client_id: string; client_secret: string };
}

/** A user of B whose email B has (or has not) verified. */
export async function upstreamUser(b: string, o: { email?: string; verified?: boolean } = {}) {
  const email = o.email ?? `${uniq("u")}@example.com`;
  const u = await signup(b, { email });
  if (o.verified ?? true) await runInDurableObject(stub(b), (_o, state) => void state.storage.sql.exec("UPDATE users SET email_verified = 1 WHERE id = ?", u.user.id));
  return { email, id: u.user.id as string };
}

/** Tenant A with provider `id` pointing at tenant B. */
export async function federation(o: { provider?: Record<string, unknown>; settingsA?: Record<string, unknown>; client?: Record<string, unknown> } = {}) {
  const a = await newTenant(o.settingsA ?? {});
  const b = await newTenant();
  const id = "b";
  const client = await upstreamClient(b, a, id, o.client);
  const r = await admin("POST", `/tenants/${a}/identity-providers`, { id, type: "oidc", issuer: `${BASE}/v1/${b}`, client_id: client.client_id, client_secret: client.client_secret, display_name: "Tenant B", ...o.provider });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { a, b, id, client };
}

/** Start at A, sign in at B with a password; returns the browser and B's redirect back to A (not followed yet). */
export async function toCallback(a: string, b: string, id: string, email: string, browser = new Browser()): Promise<{ browser: Browser; callback: string; start: Page }> {
  const start = await browser.get(`/v1/${a}/idp/${id}/start`);
  expect(start.status, start.html.slice(0, 400)).toBe(303);
  const signIn = await browser.get(start.location!);
  expect(signIn.status, signIn.html.slice(0, 400)).toBe(200);
  const back = await browser.submit(signIn, `/v1/${b}/pages/sign-in`, { login: email, password: PASSWORD });
  expect(back.status, back.html.slice(0, 400)).toBe(303);
  expect(back.location!.startsWith(callbackOf(a, id))).toBe(true);
  return { browser, callback: back.location!, start };
}

/** The whole round trip; returns A's answer to the callback. */
export async function federatedSignIn(a: string, b: string, id: string, email: string, browser = new Browser()) {
  const t = await toCallback(a, b, id, email, browser);
  const page = await t.browser.get(t.callback);
  return { ...t, page };
}

export const sessionsOf = (a: string) =>
  runInDurableObject(stub(a), (_o, state) => state.storage.sql.exec("SELECT user_id, amr, revoked_at FROM sessions ORDER BY created_at").toArray() as { user_id: string; amr: string; revoked_at: number | null }[]);

export const identitiesIn = (a: string) =>
  runInDurableObject(stub(a), (_o, state) => state.storage.sql.exec("SELECT * FROM identities ORDER BY created_at").toArray() as Record<string, any>[]);
