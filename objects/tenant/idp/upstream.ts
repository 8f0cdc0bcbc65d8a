/**
 * @module Talking to an upstream OpenID Provider, every request through the outbound-request
 * module (timeouts, no redirects, no private addresses): discovery (OIDC Discovery 1.0 section
 * 4, the `issuer` it names must equal the one configured, section 4.3), the JWKS (cached; an
 * unknown `kid` refetches it, at most once per `JWKS_REFETCH_MS`), the token request, userinfo,
 * and ID-token validation (OIDC Core section 3.1.3.7). Documents are public, so the caches are
 * per isolate and keyed by URL.
 */
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { utf8 } from "../../../src/crypto/bytes.ts";
import { timingSafeEqual } from "../../../src/crypto/timing-safe-equal.ts";
import { outboundFetch, type OutboundEnv } from "../../../src/http/outbound.ts";

const TIMEOUT_MS = 5_000;
/** Discovery documents and key sets are reused this long (a provider rotating keys publishes the new one first). */
export const DOCUMENT_TTL_MS = 60 * 60 * 1000;
/** An unknown `kid` fetches the key set again, but not more often than this: forged headers cannot make Warden hammer the upstream. */
export const JWKS_REFETCH_MS = 10_000;
/** OIDC Core 3.1.3.7 leaves the acceptable skew to the RP: one minute either way; an ID token older than ten minutes is refused. */
export const SKEW_S = 60;
export const MAX_ID_TOKEN_AGE = "10m";
/** Asymmetric algorithms only: HS256 would make the client secret a signing key, `none` no signature at all. */
const ID_TOKEN_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** Why an upstream step failed; the callback page maps each to one message, the audit keeps the detail. */
export class UpstreamError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  token_endpoint_auth_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

const docs = new Map<string, { at: number; value: unknown }>();
const jwksCache = new Map<string, { at: number; keys: JSONWebKeySet }>();

async function getJson(url: string, env: OutboundEnv, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await outboundFetch(url, { ...init, headers: { accept: "application/json", ...(init.headers as Record<string, string> | undefined) } }, { timeoutMs: TIMEOUT_MS, env });
  } catch (e) {
    throw new UpstreamError("unreachable", `${new URL(url).origin}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UpstreamError("bad_response", `${new URL(url).origin} answered ${res.status} without JSON`);
  }
  if (!res.ok) {
    const err = (body as { error?: unknown }).error;
    throw new UpstreamError("upstream_error", `${new URL(url).origin} answered ${res.status}${typeof err === "string" ? ` ${err}` : ""}`);
  }
  return body;
}

/**
 * The provider's metadata from `{discoveryBase}/.well-known/openid-configuration`. `expected`
 * is the issuer it must name exactly (section 4.3: anything else is an impersonation); for
 * Microsoft's multi-tenant endpoints that is the `{tenantid}` template itself.
 */
export async function discover(discoveryBase: string, expected: string, env: OutboundEnv, now: number): Promise<ProviderMetadata> {
  const url = `${discoveryBase.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const hit = docs.get(url);
  const m = (hit && now - hit.at < DOCUMENT_TTL_MS ? hit.value : await getJson(url, env)) as Partial<ProviderMetadata>;
  if (m.issuer !== expected) throw new UpstreamError("issuer_mismatch", `discovery names issuer ${String(m.issuer).slice(0, 200)}, not ${expected}`);
  for (const k of ["authorization_endpoint", "token_endpoint"] as const) if (typeof m[k] !== "string") throw new UpstreamError("bad_response", `discovery lacks ${k}`);
  docs.set(url, { at: hit && now - hit.at < DOCUMENT_TTL_MS ? hit.at : now, value: m });
  return m as ProviderMetadata;
}

async function keySet(jwksUri: string, env: OutboundEnv, now: number, fresh: boolean): Promise<JSONWebKeySet> {
  const hit = jwksCache.get(jwksUri);
  if (hit && !(fresh && now - hit.at >= JWKS_REFETCH_MS) && now - hit.at < DOCUMENT_TTL_MS) return hit.keys;
  const keys = (await getJson(jwksUri, env)) as JSONWebKeySet;
  if (!Array.isArray(keys?.keys)) throw new UpstreamError("bad_response", "the JWKS has no keys");
  jwksCache.set(jwksUri, { at: now, keys });
  return keys;
}

/** Forgets cached documents (tests, and an operator changing a provider). */
export function forgetUpstreamCaches(): void {
  docs.clear();
  jwksCache.clear();
}

export interface TokenRequest {
  tokenEndpoint: string;
  clientId: string;
  /** null: a public client (PKCE only). */
  clientSecret: string | null;
  /** client_secret_basic unless the provider takes only client_secret_post (Apple, GitHub). */
  auth: "basic" | "post";
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** RFC 6749 section 4.1.3 with RFC 7636 section 4.5; the answer's JSON, or an UpstreamError. */
export async function exchangeCode(t: TokenRequest, env: OutboundEnv): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ grant_type: "authorization_code", code: t.code, redirect_uri: t.redirectUri, code_verifier: t.codeVerifier });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (t.clientSecret !== null && t.auth === "basic") headers.authorization = `Basic ${btoa(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`)}`;
  else {
    body.set("client_id", t.clientId);
    if (t.clientSecret !== null) body.set("client_secret", t.clientSecret);
  }
  const r = (await getJson(t.tokenEndpoint, env, { method: "POST", headers, body: body.toString() })) as Record<string, unknown>;
  if (typeof r.access_token !== "string") throw new UpstreamError("bad_response", "the token response has no access_token");
  return r;
}

export const fetchJsonWithToken = (url: string, accessToken: string, env: OutboundEnv, extra: Record<string, string> = {}) => getJson(url, env, { headers: { authorization: `Bearer ${accessToken}`, ...extra } });

export interface IdTokenCheck {
  jwksUri: string;
  /** The issuer, or a function of the unverified payload (Microsoft: the token's `tid`). */
  issuer: string | ((p: JWTPayload) => string);
  clientId: string;
  nonce: string;
  now: number;
}

/**
 * OIDC Core 3.1.3.7: signature by a key of the upstream's JWKS (refetched once on an unknown
 * `kid`: key rotation), `iss`, `aud` containing the client id (and `azp` equal to it when there
 * are several audiences), `exp`, `iat` within the skew and not older than MAX_ID_TOKEN_AGE,
 * and `nonce` equal to the one sent (compared in constant time).
 */
export async function verifyIdToken(idToken: string, c: IdTokenCheck, env: OutboundEnv): Promise<JWTPayload> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(idToken);
  } catch {
    throw new UpstreamError("bad_id_token", "the ID token is not a JWT");
  }
  const issuer = typeof c.issuer === "string" ? c.issuer : c.issuer(unverified);
  const opts = { issuer, audience: c.clientId, algorithms: ID_TOKEN_ALGS, currentDate: new Date(c.now), clockTolerance: SKEW_S, maxTokenAge: MAX_ID_TOKEN_AGE };
  let payload: JWTPayload;
  try {
    try {
      payload = (await jwtVerify(idToken, createLocalJWKSet(await keySet(c.jwksUri, env, c.now, false)), opts)).payload;
    } catch (e) {
      if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
      payload = (await jwtVerify(idToken, createLocalJWKSet(await keySet(c.jwksUri, env, c.now, true)), opts)).payload;
    }
  } catch (e) {
    if (e instanceof UpstreamError) throw e;
    const code = (e as { code?: string }).code ?? "invalid";
    throw new UpstreamError("bad_id_token", `ID token refused: ${code}: ${(e as Error).message.slice(0, 160)}`);
  }
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== c.clientId) throw new UpstreamError("bad_id_token", "ID token refused: azp is not this client");
  if (typeof payload.sub !== "string" || !payload.sub) throw new UpstreamError("bad_id_token", "ID token refused: no sub");
  if (typeof payload.nonce !== "string" || !timingSafeEqual(utf8(payload.nonce), utf8(c.nonce))) throw new UpstreamError("bad_id_token", "ID token refused: nonce mismatch");
  return payload;
}
