/**
 * @module PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2) through WebCrypto, the one derivation
 * behind `pbkdf2-sha256` password hashes. Tested against the RFC 7914 section 11 vectors.
 */

/**
 * Derives `dkLen` bytes. Workers' WebCrypto refuses more than 100,000 iterations (it throws
 * `NotSupportedError`); callers check the limit first so production and tests agree.
 */
export async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  dkLen: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    dkLen * 8,
  );
  return new Uint8Array(bits);
}
