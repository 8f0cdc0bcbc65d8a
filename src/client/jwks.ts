/**
 * @module The tenant's public keys, fetched from `GET /v1/{tenant}/.well-known/jwks.json`
 * and kept in a jose local key set. A token signed with a `kid` the set does not have
 * triggers one refetch (a rotation), at most once per `cooldownMs` so that tokens with
 * made-up `kid`s cannot make us hammer the endpoint; the set is also refreshed when older
 * than `maxAgeMs` (the endpoint allows caching for 5 minutes) and when a `key.rotated`
 * event arrives. A failed refresh keeps the keys we have.
 *
 * Only the keys for one purpose are kept: those whose Warden member `warden_use` names it
 * (`access_token` by default), with `use: "sig"`, a `kid`, and an `alg` among `algorithms`
 * (RFC 7517 sections 4.2 to 4.5; jose then holds each key to its own `alg`). A token whose
 * `kid` the set gives to another purpose (the SET key) is refused at once, without a refetch.
 */
import { createLocalJWKSet, errors, type JWK, type JSONWebKeySet } from "jose";
import { PURPOSE_MEMBER, systemClock, type Clock, type FetchLike, type KeyPurpose } from "./types.ts";

export interface JwksOptions {
  url: string;
  fetch?: FetchLike;
  clock?: Clock;
  /** Minimum time between two refetches for an unknown `kid`. Default 30 s. */
  cooldownMs?: number;
  /** Refetch when the set is older than this. Default 5 minutes. */
  maxAgeMs?: number;
  /** Which keys to use, by their `warden_use`. Default `access_token`. */
  purpose?: KeyPurpose;
  /** Accepted key algorithms (`alg` of the JWK). Default EdDSA, ES256, RS256. */
  algorithms?: string[];
}

/** The key set could not be fetched and we have none: the verifier cannot decide locally. */
export class JwksUnavailableError extends Error {
  readonly code = "jwks_unavailable";
}

/**
 * jose's `JWTVerifyGetKey`, spelt out so the published types need no jose (the package bundles
 * the part of jose it uses).
 */
export type GetKey = (header: { alg?: string; kid?: string }, token: { payload: string | Uint8Array; signature: string }) => Promise<CryptoKey>;

export interface Jwks {
  /** For jose's `jwtVerify`. */
  getKey: GetKey;
  /** Fetches the set now (deduplicated with any fetch in flight). */
  refresh(): Promise<void>;
  /** How many keys of the last set fetched this verifier can use. */
  usable(): number;
}

export function createJwks(o: JwksOptions): Jwks {
  const fetchFn = o.fetch ?? ((input, init) => fetch(input, init));
  const clock = o.clock ?? systemClock;
  const cooldownMs = o.cooldownMs ?? 30_000;
  const maxAgeMs = o.maxAgeMs ?? 300_000;
  const purpose = o.purpose ?? "access_token";
  const algorithms = o.algorithms ?? ["EdDSA", "ES256", "RS256"];
  let local: ReturnType<typeof createLocalJWKSet> | null = null;
  /** kids the set publishes for something else: never ours, and no reason to refetch. */
  let foreign = new Set<string>();
  let usable = 0;
  let fetchedAt = 0;
  let lastAttempt = -Infinity;
  let inflight: Promise<void> | null = null;

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      lastAttempt = clock.now();
      try {
        const res = await fetchFn(o.url, { headers: { accept: "application/json" } });
        if (!res.ok) throw new JwksUnavailableError(`JWKS answered ${res.status}`);
        const set = (await res.json()) as JSONWebKeySet;
        if (!set || !Array.isArray(set.keys)) throw new JwksUnavailableError("JWKS is not a key set");
        const ours = (k: JWK & Record<string, unknown>) =>
          k[PURPOSE_MEMBER] === purpose && k.use === "sig" && typeof k.kid === "string" && typeof k.alg === "string" && algorithms.includes(k.alg);
        const keys = set.keys as (JWK & Record<string, unknown>)[];
        const mine = keys.filter(ours);
        usable = mine.length;
        local = createLocalJWKSet({ keys: mine });
        foreign = new Set(keys.filter((k) => !ours(k) && typeof k.kid === "string").map((k) => k.kid!));
        fetchedAt = clock.now();
      } catch (e) {
        throw e instanceof JwksUnavailableError ? e : new JwksUnavailableError(`JWKS fetch failed: ${String(e)}`);
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  }

  const getKey: GetKey = async (header, token) => {
    if (header.kid !== undefined && foreign.has(header.kid)) throw new errors.JWKSNoMatchingKey();
    if (!local) {
      // with no keys at all, retry at most once a second rather than once per token
      if (!inflight && clock.now() - lastAttempt < 1000) throw new JwksUnavailableError("JWKS fetch failed recently");
      await refresh();
    }
    else if (clock.now() - fetchedAt > maxAgeMs) await refresh().catch(() => {});
    try {
      return await local!(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey) || clock.now() - lastAttempt < cooldownMs) throw e;
      await refresh().catch(() => {});
      return local!(header, token);
    }
  };

  return { getKey, refresh, usable: () => usable };
}
