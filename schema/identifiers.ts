/**
 * @module Identifier normalisation. Stored and compared in normalised form;
 * the user's own spelling is kept for display.
 *
 * Invisible code points are refused, before and after NFKC, in emails and usernames alike:
 * Default_Ignorable_Code_Point (zero-width space and joiners, soft hyphen, word joiner,
 * variation selectors, Hangul fillers, tags) and Bidi_Control (RLO, LRI, ALM, …). They render
 * as nothing, or reorder what is shown, so two addresses that look the same would be two
 * accounts; PRECIS (RFC 8264 section 9.13) and UTS #39 section 3.1 exclude them for the same
 * reason.
 */

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

/** True when `raw` holds a code point that renders as nothing or reorders text (see the module comment). */
export function hasInvisible(raw: string): boolean {
  return INVISIBLE.test(raw) || INVISIBLE.test(raw.normalize("NFKC"));
}

/** NFKC, lower-cased, 3–64 of a-z 0-9 . _ - */
export function normalizeUsername(raw: string): string | null {
  if (hasInvisible(raw)) return null;
  const s = raw.normalize("NFKC").toLowerCase();
  return /^[a-z0-9._-]{3,64}$/.test(s) ? s : null;
}

/** NFKC, lower-cased, at most 254 characters, exactly one `@`, a dot in the domain, no spaces or controls. */
export function normalizeEmail(raw: string): string | null {
  if (hasInvisible(raw)) return null;
  const s = raw.normalize("NFKC").toLowerCase();
  if (s.length > 254 || s.length < 3) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(s)) return null;
  const at = s.indexOf("@");
  if (at < 1 || at !== s.lastIndexOf("@")) return null;
  const domain = s.slice(at + 1);
  if (!/^[^.]+(\.[^.]+)+$/.test(domain)) return null;
  return s;
}

/** A login is an email when it contains `@`, else a username. */
export function normalizeLogin(raw: string): { kind: "email" | "username"; value: string } | null {
  if (raw.includes("@")) {
    const v = normalizeEmail(raw);
    return v ? { kind: "email", value: v } : null;
  }
  const v = normalizeUsername(raw);
  return v ? { kind: "username", value: v } : null;
}
