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

/**
 * Context-specific words (NIST SP 800-63B section 5.1.1.2, ASVS 6.1.2 and 6.2.11): what the
 * service and the account are known by, so the first guesses an attacker makes. A word counts
 * from 4 code points; shorter ones would strike common fragments of unrelated passwords.
 */
export const CONTEXT_WORD_MIN = 4;

/** A word as it is compared: NFKC, lower case, trimmed. */
export function contextWord(word: string): string {
  return word.normalize("NFKC").toLowerCase().trim();
}

/**
 * The words a name yields: the whole of it, and each run of letters and digits in it
 * ("Acme Corp" → acme corp, acme, corp; "jane.doe" → jane.doe, jane), each at least
 * CONTEXT_WORD_MIN code points, without repeats.
 */
export function wordsOf(...names: (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  const add = (w: string) => {
    if ([...w].length >= CONTEXT_WORD_MIN) out.add(w);
  };
  for (const name of names) {
    if (!name) continue;
    const whole = contextWord(name);
    add(whole);
    for (const part of whole.split(/[^\p{L}\p{N}]+/u)) add(part);
  }
  return [...out];
}

/**
 * An account's own identifiers as context words: the username, the email's local part and
 * the labels of its domain but the last (jane.doe@mail.example.com → jane.doe, jane, mail,
 * example; the top-level label is never a guess worth refusing).
 */
export function identifierWords(email: string | null | undefined, username: string | null | undefined): string[] {
  const names: string[] = [];
  if (username) names.push(username);
  if (email) {
    const at = email.lastIndexOf("@");
    const local = at < 0 ? email : email.slice(0, at);
    names.push(local);
    if (at >= 0) names.push(...email.slice(at + 1).split(".").slice(0, -1));
  }
  return wordsOf(...names);
}

/**
 * The rule: the context words do not count toward the length. Every occurrence of each word
 * (longest first, ignoring case) is taken out of the normalized password, and what is left
 * must still have `minLength` code points. So "acme2024!" is refused for the tenant acme at
 * any minimum above 5, while a long passphrase that happens to contain the word is not.
 */
export function contextWordsLeave(normalized: string, words: readonly string[], minLength: number): boolean {
  let rest = normalized.toLowerCase();
  for (const w of [...words].sort((a, b) => b.length - a.length)) if (w) rest = rest.split(w).join("");
  let codePoints = 0;
  for (const _ of rest) codePoints++;
  return codePoints >= minLength;
}
