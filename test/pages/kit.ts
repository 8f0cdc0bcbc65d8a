/**
 * @module A small browser for the hosted-page tests: a cookie jar over SELF.fetch (no
 * redirects followed, so each step can be looked at), reading the hidden fields out of the
 * served HTML the way a browser would submit them, and a registered public client with PKCE.
 */
import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { contractViolation } from "../contract.ts";
import { admin, BASE } from "../helpers.ts";

export interface Page {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** The value of the first `<input name="{name}" value="…">` on the page. */
export function field(html: string, name: string): string | null {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  return m ? unescape(m[1]) : null;
}

export class Browser {
  readonly jar = new Map<string, string>();
  constructor(readonly ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`) {}

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const h: Record<string, string> = { "cf-connecting-ip": this.ip, ...headers };
    if (this.jar.size) h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      h["content-type"] ??= "application/x-www-form-urlencoded";
    }
    const url = path.startsWith("http") ? path : `${BASE}${path}`;
    const res = await SELF.fetch(url, { method, headers: h, body, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /max-age=0$/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || !value) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const html = await res.text();
    // The browser endpoints are documented too (pages and redirects): hold each answer to the document.
    let parsed: unknown = html;
    try {
      parsed = html ? JSON.parse(html) : null;
    } catch {
      /* a page */
    }
    const violation = contractViolation(method, new URL(url).pathname, res.status, res.headers.get("content-type"), parsed);
    if (violation) throw new Error(`answer does not match the OpenAPI document: ${violation}`);
    return { status: res.status, headers: res.headers, html, location: res.headers.get("location") };
  }

  get = (path: string) => this.request("GET", path);

  /** Submits the page's form with its hidden fields (csrf, flow, …) plus `fields`. */
  submit(page: Page, action: string, fields: Record<string, string> = {}): Promise<Page> {
    const hidden: Record<string, string> = {};
    for (const name of ["csrf", "flow", "mfa_token", "token"]) {
      const v = field(page.html, name);
      if (v !== null) hidden[name] = v;
    }
    return this.request("POST", action, { ...hidden, ...fields });
  }

  cookie(prefix: string): string | undefined {
    for (const [k, v] of this.jar) if (k.startsWith(prefix)) return v;
    return undefined;
  }
}

export const REDIRECT = "https://app.example/cb";

export async function newClient(slug: string, o: Record<string, unknown> = {}): Promise<string> {
  const r = await admin("POST", `/tenants/${slug}/clients`, { client_name: "Example App", redirect_uris: [REDIRECT], post_logout_redirect_uris: ["https://app.example/bye"], token_endpoint_auth_method: "none", ...o });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.client_id;
}

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const verifier = b64(bytes);
  const challenge = b64(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

export function authorizeUrl(slug: string, clientId: string, challenge: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, scope: "openid email", state: "st-123", nonce: "n-1", code_challenge: challenge, code_challenge_method: "S256", ...extra });
  return `/v1/${slug}/oauth/authorize?${q}`;
}
