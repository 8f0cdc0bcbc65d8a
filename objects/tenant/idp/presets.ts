/**
 * @module What differs between providers, in one place: where each one's endpoints come from,
 * how the client authenticates, and who signed in with which email, and whether the upstream
 * vouches for it. Email trust is per preset: a generic provider's and Google's
 * `email_verified`, Apple's `email_verified` (sent as a string), GitHub's primary email only
 * when GitHub marks it verified, and never Microsoft's `email` claim (any Entra tenant admin
 * can set it to anything: the "nOAuth" takeover), so a Microsoft sign-in never links by email.
 */
import { importPKCS8, SignJWT, type JWTPayload } from "jose";
import type { OutboundEnv } from "../../../src/http/outbound.ts";
import type { UpstreamProfile } from "./identities.ts";
import type { ProviderRow } from "./providers.ts";
import { discover, exchangeCode, fetchJsonWithToken, UpstreamError, verifyIdToken, type ProviderMetadata } from "./upstream.ts";

export const GOOGLE_ISSUER = "https://accounts.google.com";
export const APPLE_ISSUER = "https://appleid.apple.com";
export const MICROSOFT_ISSUER_TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0";
export const GITHUB = { issuer: "https://github.com", authorize: "https://github.com/login/oauth/authorize", token: "https://github.com/login/oauth/access_token", api: "https://api.github.com" };

const MS_MULTI = new Set(["common", "organizations", "consumers"]);

/** Microsoft's discovery base, and the issuer its document names: the tenant's own, or the template. */
function microsoft(p: ProviderRow): { base: string; issuer: string } {
  const t = p.tenant ?? "common";
  return { base: `https://login.microsoftonline.com/${t}/v2.0`, issuer: MS_MULTI.has(t) ? MICROSOFT_ISSUER_TEMPLATE : MICROSOFT_ISSUER_TEMPLATE.replace("{tenantid}", t) };
}

/** The endpoints to use: discovered (OIDC types), or GitHub's fixed ones. */
export async function metadataOf(p: ProviderRow, env: OutboundEnv, now: number): Promise<ProviderMetadata> {
  switch (p.type) {
    case "github":
      return { issuer: GITHUB.issuer, authorization_endpoint: GITHUB.authorize, token_endpoint: GITHUB.token, token_endpoint_auth_methods_supported: ["client_secret_post"] };
    case "microsoft": {
      const m = microsoft(p);
      return discover(m.base, m.issuer, env, now);
    }
    case "google":
      return discover(GOOGLE_ISSUER, GOOGLE_ISSUER, env, now);
    case "apple":
      return discover(APPLE_ISSUER, APPLE_ISSUER, env, now);
    case "oidc":
      return discover(p.issuer!, p.issuer!, env, now);
  }
}

/** Extra authorization parameters: Apple returns name and email only by form_post (and then only on the first sign-in). */
export const extraAuthorizeParams = (p: ProviderRow): Record<string, string> => (p.type === "apple" ? { response_mode: "form_post" } : {});

export const importAppleKey = (pem: string) => importPKCS8(pem.trim(), "ES256");

/** Apple's client secret: an ES256 JWT from the developer's key, iss = team, sub = client id, at most six months (we use five minutes). */
async function appleClientSecret(p: ProviderRow, pem: string, now: number): Promise<string> {
  const key = await importAppleKey(pem);
  const iat = Math.floor(now / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: p.apple!.key_id }).setIssuer(p.apple!.team_id).setSubject(p.client_id).setAudience(APPLE_ISSUER).setIssuedAt(iat).setExpirationTime(iat + 300).sign(key);
}

export interface Callback {
  code: string;
  redirectUri: string;
  codeVerifier: string;
  nonce: string;
  /** The opened `idp-secret`: the client secret, or Apple's PEM key. */
  secret: string | null;
  now: number;
}

const verifiedFlag = (v: unknown): boolean => v === true || v === "true";

/** The token request, the ID token or GitHub's API, and who signed in. */
export async function profileOf(p: ProviderRow, m: ProviderMetadata, cb: Callback, env: OutboundEnv): Promise<UpstreamProfile> {
  const secret = p.type === "apple" && cb.secret ? await appleClientSecret(p, cb.secret, cb.now) : cb.secret;
  const methods = m.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  const auth = p.type === "apple" || p.type === "github" || !methods.includes("client_secret_basic") ? "post" : "basic";
  const tokens = await exchangeCode({ tokenEndpoint: m.token_endpoint, clientId: p.client_id, clientSecret: secret, auth, code: cb.code, redirectUri: cb.redirectUri, codeVerifier: cb.codeVerifier }, env);
  if (p.type === "github") return github(String(tokens.access_token), env);
  if (typeof tokens.id_token !== "string") throw new UpstreamError("bad_response", "the token response has no id_token");
  if (!m.jwks_uri) throw new UpstreamError("bad_response", "discovery lacks jwks_uri");
  const issuer = p.type === "microsoft" ? (claims: JWTPayload) => microsoftIssuer(m.issuer, claims) : m.issuer;
  const c = await verifyIdToken(tokens.id_token, { jwksUri: m.jwks_uri, issuer, clientId: p.client_id, nonce: cb.nonce, now: cb.now }, env);
  if (p.type === "microsoft") {
    // Keyed by (tid, oid): `sub` is pairwise per app, `oid` is the user in that Entra tenant.
    if (typeof c.oid !== "string" || !c.oid) throw new UpstreamError("bad_id_token", "ID token refused: no oid");
    return { issuer: c.iss!, subject: c.oid, email: typeof c.email === "string" ? c.email : null, emailVerified: false };
  }
  let email = typeof c.email === "string" ? c.email : null;
  let verified = verifiedFlag(c.email_verified);
  // OIDC Core 5.3.2: userinfo counts only when its `sub` is the ID token's.
  if (!email && m.userinfo_endpoint) {
    const u = (await fetchJsonWithToken(m.userinfo_endpoint, String(tokens.access_token), env)) as Record<string, unknown>;
    if (u.sub === c.sub && typeof u.email === "string") (email = u.email), (verified = verifiedFlag(u.email_verified));
  }
  return { issuer: c.iss!, subject: c.sub!, email, emailVerified: email !== null && verified };
}

/** The issuer a Microsoft token must carry: the configured tenant's, or the template filled with the token's own `tid`. */
function microsoftIssuer(discovered: string, claims: JWTPayload): string {
  if (!discovered.includes("{tenantid}")) return discovered;
  const tid = claims.tid;
  if (typeof tid !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(tid)) throw new UpstreamError("bad_id_token", "ID token refused: no valid tid");
  return discovered.replace("{tenantid}", tid);
}

/** GitHub: `/user` for the id, `/user/emails` for the primary address, trusted only when GitHub marks it verified. */
async function github(accessToken: string, env: OutboundEnv): Promise<UpstreamProfile> {
  const h = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "warden" };
  const user = (await fetchJsonWithToken(`${GITHUB.api}/user`, accessToken, env, h)) as { id?: unknown };
  if (typeof user.id !== "number" && typeof user.id !== "string") throw new UpstreamError("bad_response", "GitHub /user has no id");
  const emails = (await fetchJsonWithToken(`${GITHUB.api}/user/emails`, accessToken, env, h)) as { email?: unknown; primary?: unknown; verified?: unknown }[];
  const primary = Array.isArray(emails) ? emails.find((e) => e.primary === true && e.verified === true && typeof e.email === "string") : undefined;
  return { issuer: GITHUB.issuer, subject: String(user.id), email: primary ? String(primary.email) : null, emailVerified: !!primary };
}
