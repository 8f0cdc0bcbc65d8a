/**
 * @module Password hashing and verification: argon2id by default,
 * pbkdf2-sha256 for tenants that choose it, and verification of imported bcrypt hashes.
 *
 * These functions hash exactly the string they are given (as UTF-8): callers pass the
 * NFKC-normalized password (`normalizePassword` / `checkPasswordPolicy`) both when setting
 * and when checking a password. Runs in the router Worker, never in the Durable Object:
 * one default argon2id hash is ~190 ms of CPU.
 */
import { argon2id } from "@noble/hashes/argon2.js";
import { verifyBcrypt } from "./bcrypt.ts";
import { pbkdf2Sha256 } from "./pbkdf2.ts";
import { formatArgon2id, formatPbkdf2, parseHash, type ParsedHash } from "./phc.ts";
import { timingSafeEqual } from "./timing-safe-equal.ts";

export type HashAlgorithm = "argon2id" | "pbkdf2-sha256";

/**
 * OWASP's minimum argon2id configuration (19 MiB, 2 passes, 1 lane), which RFC 9106
 * section 4 leaves to the deployment; 16-byte salt and 32-byte tag as RFC 9106 section 4
 * recommends.
 */
export const ARGON2ID_PARAMS = { m: 19_456, t: 2, p: 1, saltLength: 16, hashLength: 32 } as const;

/**
 * 100,000 iterations is the most Workers' WebCrypto will run (OWASP asks for 600,000, which
 * is why argon2id is the default). Stored as
 * `$pbkdf2-sha256$i=100000,l=32$<base64 salt>$<base64 key>` (see `Pbkdf2Hash` in phc.ts);
 * passlib's `$pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 key>` is read too.
 */
export const PBKDF2_PARAMS = { iterations: 100_000, saltLength: 16, hashLength: 32 } as const;

const utf8 = new TextEncoder();

/**
 * How many password derivations this isolate has run: `hashed` new hashes, `verified`
 * checks against a stored (or dummy) hash. Each one is the ~170 ms of CPU and 19 MiB that a
 * refused request must not cost, so the tests read these to prove a refusal computed none.
 */
const work = { hashed: 0, verified: 0 };

export function passwordWork(): Readonly<typeof work> {
  return { ...work };
}

function argon2idRaw(password: string, salt: Uint8Array, m: number, t: number, p: number, dkLen: number): Uint8Array {
  return argon2id(utf8.encode(password), salt, { m, t, p, dkLen, version: 0x13 });
}

/** Hashes a new password with a fresh random salt; returns a PHC string. */
export async function hashPassword(password: string, alg: HashAlgorithm): Promise<string> {
  const saltLength = alg === "argon2id" ? ARGON2ID_PARAMS.saltLength : PBKDF2_PARAMS.saltLength;
  return hashPasswordWithSalt(password, alg, crypto.getRandomValues(new Uint8Array(saltLength)));
}

/**
 * @internal `hashPassword` with a caller-chosen salt, so tests can pin a vector that the
 * reference `argon2` tool reproduces byte for byte. Never call it with a non-random salt.
 */
export async function hashPasswordWithSalt(password: string, alg: HashAlgorithm, salt: Uint8Array): Promise<string> {
  work.hashed++;
  if (alg === "argon2id") {
    const { m, t, p, hashLength } = ARGON2ID_PARAMS;
    return formatArgon2id({ m, t, p, salt, hash: argon2idRaw(password, salt, m, t, p, hashLength) });
  }
  const { iterations, hashLength } = PBKDF2_PARAMS;
  const hash = await pbkdf2Sha256(utf8.encode(password), salt, iterations, hashLength);
  return formatPbkdf2({ iterations, salt, hash });
}

async function derivedMatches(password: string, h: ParsedHash, phc: string): Promise<boolean> {
  switch (h.alg) {
    case "argon2id":
      return timingSafeEqual(argon2idRaw(password, h.salt, h.m, h.t, h.p, h.hash.length), h.hash);
    case "pbkdf2-sha256":
      return timingSafeEqual(await pbkdf2Sha256(utf8.encode(password), h.salt, h.iterations, h.hash.length), h.hash);
    case "bcrypt":
      return verifyBcrypt(password, phc);
  }
}

/**
 * True when `password` matches the stored hash. A wrong password, a malformed or
 * unsupported hash, or parameters beyond the verifier's limits (see phc.ts: argon2id
 * m > 64 MiB, t > 10, p > 4; pbkdf2 > 100,000 iterations; bcrypt cost > 14) all give
 * false: bad stored data must read as "no", never as an exception or a CPU sink.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  if (typeof password !== "string") return false;
  const parsed = parseHash(phc);
  if (!parsed) return false;
  work.verified++;
  try {
    return await derivedMatches(password, parsed, phc);
  } catch {
    return false;
  }
}

/**
 * True when a hash that just verified should be replaced by a fresh `hashPassword(pw, alg)`:
 * another algorithm than the tenant's, any bcrypt, weaker cost or shorter salt/tag than the
 * current defaults, or passlib's spelling (so stored pbkdf2 hashes converge on one format).
 * An unparseable hash also answers true; it cannot have verified, so the answer is moot.
 */
export function needsRehash(phc: string, alg: HashAlgorithm): boolean {
  const h = parseHash(phc);
  // bcrypt is never a tenant's algorithm, so it always lands here.
  if (!h || h.alg !== alg) return true;
  switch (h.alg) {
    case "argon2id":
      return (
        h.m < ARGON2ID_PARAMS.m ||
        h.t < ARGON2ID_PARAMS.t ||
        h.salt.length < ARGON2ID_PARAMS.saltLength ||
        h.hash.length < ARGON2ID_PARAMS.hashLength
      );
    case "pbkdf2-sha256":
      return (
        h.format !== "warden" ||
        h.iterations < PBKDF2_PARAMS.iterations ||
        h.salt.length < PBKDF2_PARAMS.saltLength ||
        h.hash.length < PBKDF2_PARAMS.hashLength
      );
  }
}

/** True when `verifyPassword` would actually check this hash: for validating user imports. */
export function isSupportedHash(phc: string): boolean {
  return parseHash(phc) !== null;
}

const dummies = new Map<HashAlgorithm, string>();

/**
 * A valid hash with the current default parameters that no password matches, for logins
 * of unknown users: verifying against it costs what a real verification costs (no
 * timing difference tells unknown users apart), and the caller answers `invalid_credentials` either way.
 *
 * The "hash" is random bytes rather than the hash of a random password: the two are
 * indistinguishable (both are uniformly random to anyone without the password), and not
 * computing it means the first unknown-user login of an isolate does not pay for an extra
 * hash, which would itself be a timing signal.
 */
export function dummyHash(alg: HashAlgorithm): string {
  let phc = dummies.get(alg);
  if (phc === undefined) {
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    if (alg === "argon2id") {
      const { m, t, p, saltLength, hashLength } = ARGON2ID_PARAMS;
      phc = formatArgon2id({ m, t, p, salt: random(saltLength), hash: random(hashLength) });
    } else {
      const { iterations, saltLength, hashLength } = PBKDF2_PARAMS;
      phc = formatPbkdf2({ iterations, salt: random(saltLength), hash: random(hashLength) });
    }
    dummies.set(alg, phc);
  }
  return phc;
}
