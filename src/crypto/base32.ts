/**
 * @module Base32 (RFC 4648 section 6), the encoding authenticator apps expect for TOTP
 * secrets in `otpauth://` URIs and for manual entry.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Upper-case, without the `=` padding (authenticator apps do not want it). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes what people paste: case, spaces, hyphens and trailing `=` padding are ignored.
 * Throws on any other character, or on a length no encoder produces (1, 3 or 6 characters
 * past a multiple of 8, RFC 4648 section 6); unused trailing bits are ignored, as
 * authenticator apps do.
 */
export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s-]/g, "").replace(/=+$/, "").toUpperCase();
  if ([1, 3, 6].includes(clean.length % 8)) throw new Error("invalid base32 length");
  const out = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error("invalid base32 character");
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
