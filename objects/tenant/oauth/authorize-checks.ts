/**
 * @module The authorization request (RFC 6749 section 4.1.1, OAuth 2.1 section 4.1.1, OIDC
 * Core section 3.1.2.1) as a pipeline of small checks, one rule each with the error the spec
 * gives it. The first two decide whether the client can be trusted with an answer at all: an
 * unknown client or an unregistered redirect URI gets an error page, never a redirect (RFC 6749
 * section 4.1.2.1, RFC 9700 section 4.1.1). Every later refusal is redirected to the client.
 */
import { ACCOUNT_SCOPE } from "../../../schema/clients.ts";
import { getClient, redirectUriMatches, type ClientRow } from "../clients.ts";
import type { TenantCtx } from "../context.ts";
import { getProvider } from "../idp/providers.ts";
import { all } from "../sql.ts";

export type Check<T> = { ok: true; value: T } | { ok: false; error: string; description: string };

const pass = <T>(value: T): Check<T> => ({ ok: true, value });
const refuse = (error: string, description: string): { ok: false; error: string; description: string } => ({ ok: false, error, description });

export type Params = Record<string, string>;

/** The OpenID Connect scopes every tenant knows (OIDC Core section 5.4, section 11). */
export const STANDARD_SCOPES = ["openid", "profile", "email", "offline_access"];

/** RFC 6749 section 3.1: a parameter sent twice is refused (checked once the client may be answered). */
export function checkDuplicates(duplicates: string[]): Check<null> {
  return duplicates.length ? refuse("invalid_request", `Parameter sent more than once: ${duplicates.join(", ")}.`) : pass(null);
}

export function checkClient(ctx: TenantCtx, p: Params, duplicates: string[]): Check<ClientRow> {
  if (!p.client_id || duplicates.includes("client_id")) return refuse("invalid_request", "client_id is missing.");
  const client = getClient(ctx.sql, p.client_id);
  return client ? pass(client) : refuse("invalid_client", "Unknown client.");
}

/** OAuth 2.1 section 2.3.1 / OIDC Core 3.1.2.1: `redirect_uri` is required and must match a registered one exactly. */
export function checkRedirectUri(client: ClientRow, p: Params, duplicates: string[]): Check<string> {
  if (!p.redirect_uri || duplicates.includes("redirect_uri")) return refuse("invalid_request", "redirect_uri is missing.");
  return redirectUriMatches(client, p.redirect_uri) ? pass(p.redirect_uri) : refuse("invalid_request", "redirect_uri is not registered for this client.");
}

/** OAuth 2.0 Multiple Response Types section 2.1 and Form Post Response Mode. */
export function checkResponseMode(p: Params): Check<"query" | "form_post"> {
  const m = p.response_mode ?? "query";
  return m === "query" || m === "form_post" ? pass(m) : refuse("invalid_request", "response_mode must be query or form_post.");
}

/** OIDC Core 6.1, 6.2, RFC 7591 section 7.3: request objects and registration parameters are not supported. */
export function checkUnsupported(p: Params): Check<null> {
  if (p.request !== undefined) return refuse("request_not_supported", "Request objects are not supported.");
  if (p.request_uri !== undefined) return refuse("request_uri_not_supported", "request_uri is not supported.");
  if (p.registration !== undefined) return refuse("registration_not_supported", "The registration parameter is not supported.");
  return pass(null);
}

/** Only the authorization code flow (OAuth 2.1 removes the implicit grant). */
export function checkResponseType(client: ClientRow, p: Params): Check<"code"> {
  if (!p.response_type) return refuse("invalid_request", "response_type is missing.");
  if (p.response_type !== "code") return refuse("unsupported_response_type", "Only response_type=code is supported.");
  if (!client.grant_types.includes("authorization_code")) return refuse("unauthorized_client", "This client may not use the authorization code grant.");
  return pass("code");
}

/**
 * PKCE with S256 for every client (OAuth 2.1 section 4.1.1, RFC 9700 section 2.1.1). RFC 7636
 * section 4.3 makes a missing method mean `plain`, so it is refused the same way.
 */
export function checkPkce(p: Params): Check<string> {
  if (!p.code_challenge) return refuse("invalid_request", "code_challenge is required (PKCE, S256).");
  if (p.code_challenge_method !== "S256") return refuse("invalid_request", "code_challenge_method must be S256.");
  // RFC 7636 section 4.2: BASE64URL(SHA256(verifier)) is exactly 43 characters.
  if (!/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge)) return refuse("invalid_request", "code_challenge is not an S256 challenge.");
  return pass(p.code_challenge);
}

/** The tenant's role scopes (what its roles grant), which clients may ask for beside the standard ones. */
function roleScopes(sql: SqlStorage): Set<string> {
  const out = new Set<string>();
  for (const r of all<{ scopes: string }>(sql, "SELECT scopes FROM roles")) for (const s of JSON.parse(r.scopes) as string[]) out.add(s);
  return out;
}

/** RFC 6749 section 3.3: every requested scope is one the client registered and the tenant knows. */
export function checkScope(ctx: TenantCtx, client: ClientRow, p: Params): Check<string[]> {
  const requested = [...new Set((p.scope ?? "").split(" ").filter(Boolean))];
  if (!requested.length) return refuse("invalid_scope", "scope is required.");
  const allowed = new Set(client.scope.split(" "));
  const known = new Set([...STANDARD_SCOPES, ACCOUNT_SCOPE, ...roleScopes(ctx.sql)]);
  const bad = requested.filter((s) => !allowed.has(s) || !known.has(s));
  return bad.length ? refuse("invalid_scope", `Scope not allowed for this client: ${bad.join(" ")}.`) : pass(requested);
}

/** OIDC Core 3.1.2.1: `none` stands alone; `select_account` is not offered here. */
export function checkPrompt(p: Params): Check<Set<string>> {
  const values = new Set((p.prompt ?? "").split(" ").filter(Boolean));
  for (const v of values) if (v !== "none" && v !== "login" && v !== "consent") return refuse("invalid_request", `Unsupported prompt value: ${v}.`);
  if (values.has("none") && values.size > 1) return refuse("invalid_request", "prompt=none cannot be combined with other values.");
  return pass(values);
}

/** OIDC Core 3.1.2.1: seconds since the last active authentication, a non-negative integer. */
export function checkMaxAge(p: Params): Check<number | null> {
  if (p.max_age === undefined) return pass(null);
  return /^[0-9]{1,9}$/.test(p.max_age) ? pass(Number(p.max_age)) : refuse("invalid_request", "max_age must be a non-negative integer.");
}

/** RFC 8707 section 2: an absolute URI without a fragment. */
export function checkResource(p: Params): Check<string | null> {
  if (p.resource === undefined) return pass(null);
  try {
    const u = new URL(p.resource);
    if (!u.hash && !p.resource.includes("#") && p.resource.length <= 2048) return pass(p.resource);
  } catch {
    /* refused below */
  }
  return refuse("invalid_target", "resource must be an absolute URI without a fragment.");
}

/** Warden's own `idp` parameter: an enabled upstream provider of the tenant, to sign in through without the chooser. */
export function checkIdp(ctx: TenantCtx, p: Params): Check<string | null> {
  if (p.idp === undefined) return pass(null);
  const provider = getProvider(ctx.sql, p.idp);
  return provider?.enabled ? pass(provider.id) : refuse("invalid_request", "idp names no enabled identity provider of this tenant.");
}

/** Bounds on what is carried back to the client verbatim. */
export function checkLengths(p: Params): Check<null> {
  for (const k of ["state", "nonce", "login_hint"]) if ((p[k]?.length ?? 0) > 1024) return refuse("invalid_request", `${k} is too long.`);
  return pass(null);
}

/** The interaction a valid request still needs: signing in (none, too old, or prompt=login), or consent. */
export function needsLogin(o: { signedIn: boolean; authTime: number; requestedAt: number; prompt: Set<string>; maxAge: number | null; now: number }): boolean {
  if (!o.signedIn) return true;
  // A sign-in made after this request arrived satisfies both prompt=login ("reauthenticate")
  // and max_age (OIDC Core 3.1.2.1; max_age=0 is prompt=login).
  if (o.authTime >= o.requestedAt) return false;
  return o.prompt.has("login") || (o.maxAge !== null && o.now - o.authTime > o.maxAge * 1000);
}
