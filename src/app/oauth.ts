/**
 * @module `app.oauth`: sign-in through the tenant's OpenID Provider and its hosted pages, for a
 * single-page app registered as a public client: authorization code with PKCE `S256` (RFC 7636
 * section 4), a `state` per attempt kept in the client's storage and spent by the callback
 * (RFC 6749 section 10.12), the callback's `iss` held to the tenant's issuer (RFC 9207 section
 * 2.4, against mix-up), the code exchanged at `/oauth/token` (RFC 6749 section 4.1.3). The
 * session that results is an ordinary one of this client: it refreshes at the token endpoint
 * (section 6) with the same single-flight rules, and live sign-out applies. Ask for
 * `offline_access` (the default scope does) or there is no refresh token.
 */
import { WardenError } from "./errors.ts";
import type { Http } from "./http.ts";
import { claimsOf, type SessionStore } from "./session.ts";
import type { Clock, PublicUser, Session, StorageLike, TokenResponse } from "./types.ts";

export interface OAuthOptions {
  /** The public client's `client_id` (registered with `token_endpoint_auth_method: "none"`). */
  clientId: string;
  /** Registered exactly; the page that calls `handleCallback`. */
  redirectUri: string;
  /** Default `openid email offline_access`. */
  scope?: string;
}

export interface AuthorizeParams {
  scope?: string;
  prompt?: "none" | "login" | "consent";
  loginHint?: string;
}

interface Pending {
  verifier: string;
  redirect_uri: string;
  client_id: string;
  at: number;
}

/** Attempts older than this are refused by the callback (the code itself lives far shorter). */
const PENDING_MS = 10 * 60_000;

export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** RFC 7636 section 4.2: `BASE64URL(SHA256(ASCII(code_verifier)))`. */
export async function pkceChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

/** 32 random bytes: a 43-character verifier (section 4.1) or state. */
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

export function createOAuth(d: { http: Http; store: SessionStore; storage: StorageLike; namespace: string; clock: Clock }, o: OAuthOptions | undefined) {
  const need = (): OAuthOptions => {
    if (!o) throw new TypeError("createWardenApp needs `oauth: { clientId, redirectUri }` for app.oauth");
    return o;
  };
  const keyOf = (state: string) => `${d.namespace}:oauth:${state}`;

  async function authorizationUrl(p: AuthorizeParams = {}): Promise<URL> {
    const c = need();
    const verifier = random();
    const state = random();
    const pending: Pending = { verifier, redirect_uri: c.redirectUri, client_id: c.clientId, at: d.clock.now() };
    await d.storage.setItem(keyOf(state), JSON.stringify(pending));
    const url = new URL(`${d.http.tenantUrl}/oauth/authorize`);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", c.clientId);
    url.searchParams.set("redirect_uri", c.redirectUri);
    url.searchParams.set("scope", p.scope ?? c.scope ?? "openid email offline_access");
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await pkceChallenge(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    if (p.prompt) url.searchParams.set("prompt", p.prompt);
    if (p.loginHint) url.searchParams.set("login_hint", p.loginHint);
    return url;
  }

  async function handleCallback(at?: string | URL): Promise<Session> {
    const u = new URL(at ?? (globalThis as { location?: { href: string } }).location?.href ?? "");
    const q = u.searchParams;
    const state = q.get("state");
    const raw = state ? await d.storage.getItem(keyOf(state)) : null;
    if (state) await d.storage.removeItem(keyOf(state)); // one use, whatever follows
    const pending = raw ? (JSON.parse(raw) as Pending) : null;
    if (!pending || d.clock.now() - pending.at > PENDING_MS) throw new WardenError("invalid_state", "No sign-in was started here with this state (or it is too old).");
    const iss = q.get("iss");
    if (iss !== null && iss !== d.http.tenantUrl) throw new WardenError("invalid_issuer", `The answer names issuer ${iss}, not ${d.http.tenantUrl}.`);
    const error = q.get("error");
    if (error) throw new WardenError(error, q.get("error_description") ?? error);
    const code = q.get("code");
    if (!code) throw new WardenError("invalid_request", "The callback carries no code.");
    const sentAt = d.clock.now();
    const a = await d.http.call<Omit<TokenResponse, "session_id" | "user"> & { refresh_token?: string }>("POST", "/oauth/token", {
      form: { grant_type: "authorization_code", code, redirect_uri: pending.redirect_uri, client_id: pending.client_id, code_verifier: pending.verifier },
    });
    const user = await d.http.call<PublicUser>("GET", "/me", { token: a.access_token });
    const sid = claimsOf(a.access_token).sid;
    return d.store.adopt({ ...a, refresh_token: a.refresh_token ?? "", session_id: typeof sid === "string" ? sid : "", user }, sentAt, pending.client_id);
  }

  return {
    authorizationUrl,
    /** Sends the browser to the hosted sign-in pages. */
    signInWithRedirect: async (p?: AuthorizeParams): Promise<void> => {
      (globalThis as { location?: { assign(url: string): void } }).location!.assign((await authorizationUrl(p)).href);
    },
    /** On the redirect page: checks the answer, exchanges the code, signs in. Then drop the query from the address bar. */
    handleCallback,
  };
}
