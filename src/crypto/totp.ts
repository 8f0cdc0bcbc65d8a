/**
 * @module HOTP (RFC 4226) and TOTP (RFC 6238) with SHA-1, 6 digits and 30-second steps.
 * Everything here is synchronous on purpose: verification runs inside the
 * tenant Durable Object's SQLite transaction, between reading the last used step and
 * writing the new one, where an `await` would break atomicity.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { base32Encode } from "./base32.ts";
import { timingSafeEqual } from "./timing-safe-equal.ts";

/** RFC 4226 section 4 R6 recommends 160-bit shared secrets. */
export const TOTP_SECRET_BYTES = 20;
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** A tenant's `mfa.totp_drift_steps` beyond this would let one code live for minutes. */
export const TOTP_MAX_DRIFT_STEPS = 10;

const ascii = new TextEncoder();

export function generateTotpSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES));
}

/**
 * HOTP(K, C) = Truncate(HMAC-SHA-1(K, C)) mod 10^digits, RFC 4226 section 5.3, with C as
 * an 8-byte big-endian counter. `digits` is 6 to 8 (RFC 4226 section 5.3 requires at least 6;
 * RFC 6238 Appendix B uses 8).
 */
export function hotp(secret: Uint8Array, counter: number, digits: number = TOTP_DIGITS): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("counter must be a non-negative safe integer");
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new RangeError("digits must be 6 to 8");
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const mac = hmac(sha1, secret, message);
  // Dynamic truncation: the low nibble of the last byte picks 4 bytes; drop the top bit.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = new DataView(mac.buffer, mac.byteOffset + offset, 4).getUint32(0) & 0x7fffffff;
  return (binary % 10 ** digits).toString().padStart(digits, "0");
}

/** T = floor((unixTime - T0) / X) with T0 = 0, RFC 6238 section 4.2. */
export function totpStep(unixMs: number, periodS: number = TOTP_PERIOD_S): number {
  return Math.floor(unixMs / (periodS * 1000));
}

export type TotpResult = { ok: true; step: number } | { ok: false };

/**
 * Accepts a 6-digit code for any step within ±`driftSteps` of now (RFC 6238 section 6
 * allows a small window for clock drift and entry delay) that is later than
 * `lastUsedStep`, so each code is accepted at most once (RFC 6238 section 5.2); the caller
 * stores the returned step as the new last used step. Every step in the window is computed
 * and compared in constant time, so timing does not reveal which step matched.
 */
export function verifyTotp(
  secret: Uint8Array,
  code: string,
  nowMs: number,
  driftSteps: number,
  lastUsedStep: number | null,
): TotpResult {
  if (typeof code !== "string" || !/^[0-9]{6}$/.test(code)) return { ok: false };
  if (!Number.isInteger(driftSteps) || driftSteps < 0 || driftSteps > TOTP_MAX_DRIFT_STEPS) {
    throw new RangeError(`driftSteps must be 0 to ${TOTP_MAX_DRIFT_STEPS}`);
  }
  const given = ascii.encode(code);
  const now = totpStep(nowMs);
  let matched: number | null = null;
  for (let step = now - driftSteps; step <= now + driftSteps; step++) {
    if (step < 0) continue;
    const equal = timingSafeEqual(ascii.encode(hotp(secret, step)), given);
    const fresh = lastUsedStep === null || step > lastUsedStep;
    if (equal && fresh && matched === null) matched = step;
  }
  return matched === null ? { ok: false } : { ok: true, step: matched };
}

/**
 * The Key URI Format that authenticator apps scan: label `issuer:account`, each part
 * percent-encoded (so a `:` inside either cannot split the label), the issuer repeated as
 * a parameter, and the algorithm, digits and period spelled out.
 */
export function otpauthUri({ secret, issuer, account }: { secret: Uint8Array; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query =
    `secret=${base32Encode(secret)}&issuer=${encodeURIComponent(issuer)}` +
    `&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_S}`;
  return `otpauth://totp/${label}?${query}`;
}
