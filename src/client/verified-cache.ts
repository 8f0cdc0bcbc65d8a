/**
 * @module A bounded memory of tokens whose signature and registered claims already verified,
 * so a resource server that sees the same access token on many requests pays for the
 * signature check once. Only what cannot change is remembered: a signature over the same bytes
 * stays valid, so a hit is still checked for `exp` on every call, and the caller still applies
 * the pushed revocations to it. Least recently used entries go first.
 */
import type { AccessTokenClaims } from "./types.ts";

export class VerifiedTokens {
  readonly #max: number;
  readonly #entries = new Map<string, AccessTokenClaims>();

  constructor(max: number) {
    this.#max = Math.max(0, Math.floor(max));
  }

  /** The claims of a token verified before and not expired at `nowMs`, else undefined. */
  get(token: string, nowMs: number): AccessTokenClaims | undefined {
    const claims = this.#entries.get(token);
    if (!claims) return undefined;
    this.#entries.delete(token);
    // RFC 7519 section 4.1.4: not accepted on or after exp (jose's rule too, with no tolerance).
    if (claims.exp * 1000 <= nowMs) return undefined;
    this.#entries.set(token, claims);
    return claims;
  }

  set(token: string, claims: AccessTokenClaims): void {
    if (this.#max === 0) return;
    this.#entries.delete(token);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, claims);
  }

  /** Forget everything (the signing keys changed). */
  clear(): void {
    this.#entries.clear();
  }
}
