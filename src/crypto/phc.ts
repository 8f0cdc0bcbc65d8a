/**
 * @module Parsing and formatting of the password-hash strings Warden stores and imports:
 * argon2id and pbkdf2-sha256 in PHC string format, and bcrypt in its modular-crypt format.
 *
 * Parsing is strict and also enforces the cost limits a verifier will run, so a hash that
 * parses is one we are willing to spend CPU on; anything else is `null`, never an exception.
 */

/** Largest argon2id memory we will verify, in KiB (64 MiB; a Worker isolate has 128 MiB). */
export const ARGON2_MAX_M = 65_536;
/** Largest argon2id pass count we will verify; with `ARGON2_MAX_M` this is ~2.7 s of CPU. */
export const ARGON2_MAX_T = 10;
/** Largest argon2id lane count we will verify (lanes run sequentially in JS anyway). */
export const ARGON2_MAX_P = 4;
/**
 * Largest PBKDF2 iteration count: the Workers WebCrypto implementation refuses more than
 * 100,000 iterations, so a stronger imported hash cannot be checked in production and fails
 * closed (verifies as false) instead of throwing.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000;
/** bcrypt costs we will verify: 2^14 rounds of bcryptjs is ~1.1 s of CPU; higher is a DoS. */
export const BCRYPT_MIN_COST = 4;
export const BCRYPT_MAX_COST = 14;

export type Argon2idHash = {
  alg: "argon2id";
  m: number;
  t: number;
  p: number;
  salt: Uint8Array;
  hash: Uint8Array;
};

/**
 * `format` records which spelling was parsed: `warden` is
 * `$pbkdf2-sha256$i=<iterations>,l=<key bytes>$<base64 salt>$<base64 key>` (standard base64
 * without padding, as in the PHC string format spec); `passlib` is passlib's
 * `$pbkdf2-sha256$<iterations>$<ab64 salt>$<ab64 key>`, where ab64 is base64 with `.` in
 * place of `+`, also without padding.
 */
export type Pbkdf2Hash = {
  alg: "pbkdf2-sha256";
  format: "warden" | "passlib";
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
};

export type BcryptHash = { alg: "bcrypt"; variant: "2a" | "2b" | "2y"; cost: number };

export type ParsedHash = Argon2idHash | Pbkdf2Hash | BcryptHash;

const B64_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_PASSLIB = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";

/** Base64 without padding, as the PHC string format and libargon2 write it. */
export function b64Encode(bytes: Uint8Array, alphabet: string = B64_STD): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes unpadded base64, or returns null. Non-canonical input (a length of 1 mod 4, or
 * non-zero unused bits in the last character, RFC 4648 section 3.5) is refused so each
 * stored hash has exactly one spelling.
 */
export function b64Decode(text: string, alphabet: string = B64_STD): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = alphabet.indexOf(text[i]!);
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** A decimal without sign or leading zeros, at most 10 digits (so it stays a safe integer). */
function parseDecimal(text: string | undefined): number | null {
  if (text === undefined || !/^(0|[1-9][0-9]{0,9})$/.test(text)) return null;
  return Number(text);
}

function inRange(n: number | null, min: number, max: number): n is number {
  return n !== null && n >= min && n <= max;
}

/**
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, exactly as libargon2's
 * `encode_string` writes it (parameters in that order, no optional `keyid`/`data`). Only
 * version 19 (0x13, RFC 9106 section 3.1) is accepted: the 0x10 variant is obsolete.
 */
function parseArgon2id(fields: string[]): Argon2idHash | null {
  if (fields.length !== 6 || fields[2] !== "v=19") return null;
  const params = /^m=([0-9]+),t=([0-9]+),p=([0-9]+)$/.exec(fields[3]!);
  if (!params) return null;
  const m = parseDecimal(params[1]);
  const t = parseDecimal(params[2]);
  const p = parseDecimal(params[3]);
  if (!inRange(p, 1, ARGON2_MAX_P) || !inRange(t, 1, ARGON2_MAX_T)) return null;
  // RFC 9106 section 3.1: memory must be at least 8 KiB per lane.
  if (!inRange(m, 8 * p, ARGON2_MAX_M)) return null;
  const salt = b64Decode(fields[4]!);
  const hash = b64Decode(fields[5]!);
  if (!salt || salt.length < 8 || salt.length > 64) return null;
  if (!hash || hash.length < 16 || hash.length > 64) return null;
  return { alg: "argon2id", m, t, p, salt, hash };
}

function parsePbkdf2(fields: string[]): Pbkdf2Hash | null {
  if (fields.length !== 5) return null;
  let format: Pbkdf2Hash["format"];
  let iterations: number | null;
  let length: number | null = null;
  let alphabet: string;
  const ours = /^i=([0-9]+),l=([0-9]+)$/.exec(fields[2]!);
  if (ours) {
    format = "warden";
    iterations = parseDecimal(ours[1]);
    length = parseDecimal(ours[2]);
    alphabet = B64_STD;
  } else {
    format = "passlib";
    iterations = parseDecimal(fields[2]);
    alphabet = B64_PASSLIB;
  }
  if (!inRange(iterations, 1, PBKDF2_MAX_ITERATIONS)) return null;
  const salt = b64Decode(fields[3]!, alphabet);
  const hash = b64Decode(fields[4]!, alphabet);
  if (!salt || salt.length < 1 || salt.length > 64) return null;
  if (!hash || hash.length < 16 || hash.length > 64) return null;
  if (length !== null && length !== hash.length) return null;
  return { alg: "pbkdf2-sha256", format, iterations, salt, hash };
}

/**
 * bcrypt's modular-crypt format: `$2b$<2-digit cost>$<22 chars salt><31 chars hash>` in
 * bcrypt's own base64 alphabet. `$2a$`, `$2b$` and `$2y$` differ only in historical
 * implementation bugs of other libraries and are verified identically.
 */
function parseBcrypt(phc: string): BcryptHash | null {
  const match = /^\$(2[aby])\$([0-9]{2})\$[./A-Za-z0-9]{53}$/.exec(phc);
  if (!match) return null;
  const cost = Number(match[2]);
  if (!inRange(cost, BCRYPT_MIN_COST, BCRYPT_MAX_COST)) return null;
  return { alg: "bcrypt", variant: match[1] as BcryptHash["variant"], cost };
}

/** Parses a stored or imported hash; null when it is malformed, unsupported or too costly. */
export function parseHash(phc: string): ParsedHash | null {
  if (typeof phc !== "string" || phc.length > 512) return null;
  const fields = phc.split("$");
  if (fields[0] !== "") return null;
  switch (fields[1]) {
    case "argon2id":
      return parseArgon2id(fields);
    case "pbkdf2-sha256":
      return parsePbkdf2(fields);
    case "2a":
    case "2b":
    case "2y":
      return parseBcrypt(phc);
    default:
      return null;
  }
}

export function formatArgon2id(h: Omit<Argon2idHash, "alg">): string {
  return `$argon2id$v=19$m=${h.m},t=${h.t},p=${h.p}$${b64Encode(h.salt)}$${b64Encode(h.hash)}`;
}

/** Always writes Warden's own spelling; passlib's is only read. */
export function formatPbkdf2(h: Omit<Pbkdf2Hash, "alg" | "format">): string {
  return `$pbkdf2-sha256$i=${h.iterations},l=${h.hash.length}$${b64Encode(h.salt)}$${b64Encode(h.hash)}`;
}

/** The passlib alphabet, exported for tests that build passlib-style fixtures. */
export function ab64Encode(bytes: Uint8Array): string {
  return b64Encode(bytes, B64_PASSLIB);
}
