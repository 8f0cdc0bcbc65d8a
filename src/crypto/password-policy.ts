/**
 * @module The password policy, which follows NIST SP 800-63B section
 * 5.1.1.2: NFKC normalization, a length range counted in code points, no composition rules,
 * no truncation, and a blocklist of common passwords.
 */
import { dictionary } from "@zxcvbn-ts/language-common";

/** Upper bounds, in code points and in UTF-8 bytes: they bound what one hash costs. */
export const PASSWORD_MAX_CODE_POINTS = 256;
export const PASSWORD_MAX_BYTES = 1024;

export type PasswordPolicyResult =
  | { ok: true; normalized: string }
  | { ok: false; reason: "too_short" | "too_long" | "too_common" | "invalid" };

/**
 * NFKC, which SP 800-63B section 5.1.1.2 recommends (NFKC or NFKD), so that the same
 * password typed on another keyboard or OS, e.g. in full-width forms or with a precomposed
 * accent, produces the same bytes to hash.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

let common: Set<string> | undefined;

/**
 * The `passwords-common` dictionary of @zxcvbn-ts/language-common: 49,233 passwords,
 * ranked by frequency in leaked-password corpora, all lower-case. The Set is built on first
 * use; the package itself decompresses its list when the module loads (~20 ms, once per
 * isolate).
 */
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary["passwords-common"]);
  return common;
}

/** Number of entries on the blocklist; the policy requires at least 10,000. */
export function commonPasswordCount(): number {
  return commonPasswords().size;
}

/**
 * Whether a normalized password is on the blocklist. The comparison ignores case: the list
 * is lower-case, and "Password1234" is no less guessable than "password1234" (attack
 * tools try case variants first).
 */
export function isCommonPassword(normalized: string): boolean {
  return commonPasswords().has(normalized.toLowerCase());
}

/** A UTF-16 string with a lone surrogate has no UTF-8 form: it would hash as U+FFFD. */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/**
 * Control characters (Unicode category Cc: C0 including tab and newline, DEL, C1) are
 * refused as `invalid`: no keyboard produces them in a password field, and they tend to
 * be mangled by copy-paste and terminals, locking people out. Ordinary and other
 * Unicode spaces are allowed (SP 800-63B wants spaces accepted).
 */
const CONTROL = /\p{Cc}/u;

/**
 * Before normalizing, refuse strings so long that no normalization could bring them under
 * the limits: canonical composition merges at most a few code points into one, so 8,192
 * UTF-16 units is far above anything that could end up at 256 code points, and it bounds
 * the work NFKC does on hostile input.
 */
const MAX_RAW_UNITS = 8192;

/**
 * Checks a new password against the tenant's `password.min_length` (8–128) and returns
 * the normalized form to hash. Lengths are counted after NFKC, in code points, so an emoji
 * counts once. Every UTF-8 code point is at most 4 bytes, so 256 code points are at most
 * 1,024 bytes and the byte limit can never trip on its own; it is kept as the bound the
 * hashing code relies on.
 */
export function checkPasswordPolicy(password: string, minLength: number): PasswordPolicyResult {
  if (!Number.isInteger(minLength) || minLength < 1 || minLength > PASSWORD_MAX_CODE_POINTS) {
    throw new RangeError(`minLength out of range: ${minLength}`);
  }
  if (typeof password !== "string" || hasLoneSurrogate(password)) return { ok: false, reason: "invalid" };
  if (password.length > MAX_RAW_UNITS) return { ok: false, reason: "too_long" };
  const normalized = normalizePassword(password);
  if (CONTROL.test(normalized)) return { ok: false, reason: "invalid" };
  let codePoints = 0;
  for (const _ of normalized) codePoints++;
  if (codePoints < minLength) return { ok: false, reason: "too_short" };
  if (codePoints > PASSWORD_MAX_CODE_POINTS) return { ok: false, reason: "too_long" };
  if (new TextEncoder().encode(normalized).length > PASSWORD_MAX_BYTES) return { ok: false, reason: "too_long" };
  if (isCommonPassword(normalized)) return { ok: false, reason: "too_common" };
  return { ok: true, normalized };
}
