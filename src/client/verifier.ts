/**
 * @module `createVerifier`: real-time verification of Warden access tokens for a resource
 * server. A token is checked locally, with no round trip: signature against
 * the tenant JWKS, `iss`, `aud`, `typ: at+jwt`, `exp`/`nbf`, `tid`; then
 * against the revocations pushed by one service subscriber (its session revoked, or its
 * user's `ver` superseded). When the verifier cannot vouch for a token from its own state —
 * the subscriber is down or still replaying, the token predates a `reset`, the JWKS is
 * unreachable, or the tenant signs with a shared secret — it applies `onDisconnect`:
 * `"introspect"` (default: ask `POST /introspect`, reject if that fails too), `"reject"`
 * (fail closed) or `"accept"` (fail open: trust the signature and what is known).
 *
 * Keys: only the JWKS keys marked `warden_use: "access_token"`, each with its own `alg`, and
 * only the algorithms in `algorithms` (the tenant's `token_alg`). A header with any other
 * algorithm is refused here, with no call to Warden: a shared-secret header (`HS*`) goes to
 * introspection only when the verifier is configured for it, so forged `HS256` tokens cannot
 * make a resource server of an asymmetric tenant call `/introspect` once each.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { checkIssuer, noUsableKey } from "./config-check.ts";
import { createJwks, JwksUnavailableError } from "./jwks.ts";
import { Revocations, type RevocationOptions } from "./revocations.ts";
import { VerifiedTokens } from "./verified-cache.ts";
import { defaultConnect, Subscriber } from "./subscriber.ts";
import { systemClock, type AccessTokenClaims, type Clock, type Connect, type FetchLike, type WebSocketLike } from "./types.ts";

export interface VerifierOptions extends RevocationOptions {
  /**
   * Where this server reaches Warden: its public URL, or an internal address
   * (`http://warden.internal`). JWKS, the events socket and introspection go there.
   */
  baseUrl: string;
  /**
   * The `iss` tokens must carry: Warden's `PUBLIC_URL` + `/v1/{tenant}`. Default
   * `{baseUrl}/v1/{tenant}`, right when `baseUrl` is the public URL; set it when it is not.
   * `ready` rejects with `VerifierConfigError` (`issuer_mismatch`) when the tenant's discovery
   * document names another issuer.
   */
  issuer?: string;
  tenant: string;
  /** A tenant API key with the `subscribe` scope, and `introspect` for the fallback. */
  apiKey: string;
  /** Expected `aud`. Default: the tenant's slug (Warden's default audience). */
  audience?: string;
  onDisconnect?: "introspect" | "reject" | "accept";
  fetch?: FetchLike;
  /** Node-style WebSocket constructor taking `{ headers }` (Node 24's global one does). */
  WebSocket?: new (url: string, init: { headers: Record<string, string> }) => WebSocketLike;
  /** Full control over how the subscriber socket is opened (tests, proxies). */
  connect?: Connect;
  clock?: Clock;
  /**
   * The tenant's `token_alg`, as JWS algorithms: `EdDSA`, `ES256` or `RS256` (verified locally
   * with the JWKS), `HS256` or `HS512` for `user-HS512` (shared secrets: introspected).
   * Default the three asymmetric ones; a token with any other `alg` is invalid at once.
   */
  algorithms?: TokenAlgorithm[];
  backoff?: { initialMs?: number; maxMs?: number };
  pingIntervalMs?: number;
  onError?(e: unknown): void;
  /**
   * How many verified tokens to remember (signature and claims), so a token seen again skips
   * the signature check; `exp` and revocations are still checked on every call. Default 10,000;
   * 0 turns it off.
   */
  cacheSize?: number;
}

export type InactiveReason =
  /** malformed, bad signature, wrong iss/aud/typ/tid, not yet valid */
  | "invalid"
  | "expired"
  /** a pushed revocation (its session, or a newer `ver` of its user) */
  | "revoked"
  /** introspection says so */
  | "inactive"
  /** the verifier could not decide and fails closed */
  | "unavailable";

export type VerifyResult =
  | { active: true; claims: AccessTokenClaims; via: "local" | "introspection" }
  | { active: false; reason: InactiveReason };

export interface Verifier {
  verify(token: string): Promise<VerifyResult>;
  /**
   * Resolves when the subscriber has caught up the first time and the configuration checked
   * out. Rejects if the first connection fails (refused key or tenant: a
   * `SubscribeRefusedError` with the status where the platform exposes it; or Warden
   * unreachable; the verifier keeps retrying and falls back meanwhile), or with a
   * `VerifierConfigError` when the issuer is not the tenant's (`issuer_mismatch`) or the JWKS
   * has no key for `algorithms` (`no_usable_key`): then every token would be `invalid`.
   */
  ready: Promise<void>;
  close(): void;
  stats(): { live: boolean; cursor: number; sessions: number; users: number; unknownBefore: number | null; tenantRevokedAt: number | null };
}

export type TokenAlgorithm = "EdDSA" | "ES256" | "RS256" | "HS256" | "HS512";

const ASYMMETRIC: readonly TokenAlgorithm[] = ["EdDSA", "ES256", "RS256"];

export function createVerifier(o: VerifierOptions): Verifier {
  const base = o.baseUrl.replace(/\/+$/, "");
  const tenantUrl = `${base}/v1/${encodeURIComponent(o.tenant)}`;
  const fetchFn: FetchLike = o.fetch ?? ((input, init) => fetch(input, init));
  const clock = o.clock ?? systemClock;
  const mode = o.onDisconnect ?? "introspect";
  const audience = o.audience ?? o.tenant;
  const issuer = (o.issuer ?? tenantUrl).replace(/\/+$/, "");
  const algorithms: TokenAlgorithm[] = o.algorithms ?? [...ASYMMETRIC];
  const asymmetric = algorithms.filter((a) => ASYMMETRIC.includes(a));
  const revocations = new Revocations(o);
  const verified = new VerifiedTokens(o.cacheSize ?? 10_000);
  const jwksUrl = `${tenantUrl}/.well-known/jwks.json`;
  const jwks = createJwks({ url: jwksUrl, fetch: fetchFn, clock, purpose: "access_token", algorithms: asymmetric });
  const subscriber = new Subscriber({
    url: `${tenantUrl}/events`,
    apiKey: o.apiKey,
    connect: o.connect ?? defaultConnect({ fetch: fetchFn, WebSocket: o.WebSocket }),
    onEvent: (e) => {
      if (e.type === "key.rotated") {
        verified.clear();
        void jwks.refresh().catch((err) => o.onError?.(err));
      }
      else revocations.apply(e, clock.now());
    },
    onReset: (serverTime) => revocations.forgetBefore(serverTime),
    onLive: () => {},
    onError: o.onError,
    backoff: o.backoff,
    pingIntervalMs: o.pingIntervalMs,
  });
  subscriber.start();

  async function introspect(token: string, local: AccessTokenClaims | null): Promise<VerifyResult> {
    try {
      const res = await fetchFn(`${tenantUrl}/introspect`, {
        method: "POST",
        headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      if (!res.ok) {
        o.onError?.(new Error(`introspection answered ${res.status}`));
        return { active: false, reason: "unavailable" };
      }
      const body = (await res.json()) as { active?: boolean } & Partial<AccessTokenClaims>;
      if (body.active !== true) return { active: false, reason: "inactive" };
      if (body.token_type !== undefined && body.token_type !== "access_token") return { active: false, reason: "invalid" };
      return { active: true, claims: local ?? (body as AccessTokenClaims), via: "introspection" };
    } catch (e) {
      o.onError?.(e);
      return { active: false, reason: "unavailable" };
    }
  }

  /** When local state cannot vouch for the token. */
  function fallback(token: string, local: AccessTokenClaims | null): Promise<VerifyResult> | VerifyResult {
    if (mode === "introspect") return introspect(token, local);
    if (mode === "accept" && local) return { active: true, claims: local, via: "local" };
    return { active: false, reason: "unavailable" };
  }

  /**
   * HS256 and user-HS512 tenants: no public key to verify with, so introspection decides. The
   * claims any caller can read are checked first, so that what is plainly not a live token of
   * this tenant costs Warden nothing.
   */
  function shared(token: string): Promise<VerifyResult> | VerifyResult {
    let c: ReturnType<typeof decodeJwt>;
    try {
      c = decodeJwt(token);
    } catch {
      return { active: false, reason: "invalid" };
    }
    if (c.iss !== issuer || c.tid !== o.tenant || typeof c.exp !== "number") return { active: false, reason: "invalid" };
    if (c.exp * 1000 <= clock.now()) return { active: false, reason: "expired" };
    return mode === "introspect" ? introspect(token, null) : { active: false, reason: "unavailable" };
  }

  async function verify(token: string): Promise<VerifyResult> {
    revocations.prune(clock.now()); // rate-limited inside; here so that memory is released even if every token is expired
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { active: false, reason: "invalid" };
    }
    const alg = header.alg as TokenAlgorithm;
    if (!algorithms.includes(alg) || header.typ !== "at+jwt") return { active: false, reason: "invalid" };
    if (!asymmetric.includes(alg)) return shared(token);
    let claims = verified.get(token, clock.now());
    if (!claims) {
      try {
        const { payload } = await jwtVerify(token, jwks.getKey, { issuer, audience, typ: "at+jwt", algorithms: asymmetric, currentDate: new Date(clock.now()), requiredClaims: ["sub", "exp", "iat"] });
        claims = payload as AccessTokenClaims;
      } catch (e) {
        if (e instanceof JwksUnavailableError) return fallback(token, null);
        return { active: false, reason: e instanceof errors.JWTExpired ? "expired" : "invalid" };
      }
      verified.set(token, claims);
    }
    if (claims.tid !== o.tenant || typeof claims.sid !== "string" || typeof claims.ver !== "number") return { active: false, reason: "invalid" };
    const verdict = revocations.check(claims, clock.now());
    if (verdict === "revoked") return { active: false, reason: "revoked" };
    if (verdict === "uncertain" || !subscriber.live) return fallback(token, claims);
    return { active: true, claims, via: "local" };
  }

  const configured = (async () => {
    await checkIssuer(fetchFn, tenantUrl, issuer);
    if (!asymmetric.length) return;
    await jwks.refresh();
    if (!jwks.usable()) throw noUsableKey(jwksUrl, asymmetric);
  })();
  const ready = Promise.all([subscriber.ready, configured]).then(() => {});
  ready.catch(() => {}); // the owner may never look

  return {
    verify,
    ready,
    close: () => subscriber.close(),
    stats: () => ({ live: subscriber.live, cursor: subscriber.cursor, ...revocations.stats() }),
  };
}
