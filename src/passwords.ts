/**
 * @module Password work done in the router Worker, never in the tenant object: policy checks
 * that need the plaintext (length bounds, the common-password list, NFKC) and hashing.
 *
 * A hash is ~170 ms of CPU, so it is never computed for a request the object would refuse
 * anyway: sign-up and reset first make a cheap call that checks the tenant, the route's
 * gates and the token, reserves the rate-limit budget, and answers the tenant's policy; only
 * then does the router hash (with that policy, its `min_length` checked first) and send it.
 * The object still enforces `password.min_length` with the code-point length sent along, and
 * when the settings changed in between it answers `stale_policy` with the real policy: the
 * router remembers it, rehashes and retries once.
 */
import { AuthError, type Failure } from "./errors.ts";
import { hashPassword, type HashAlgorithm } from "./crypto/password.ts";
import { checkPasswordPolicy } from "./crypto/password-policy.ts";
import { tooShort } from "../objects/tenant/password-rules.ts";

export interface PasswordPolicy {
  min_length: number;
  hash: HashAlgorithm;
}

export const DEFAULT_POLICY: PasswordPolicy = { min_length: 12, hash: "argon2id" };
/** The lowest `password.min_length` a tenant may set; the object applies the tenant's own. */
const FLOOR = 8;
const TTL_MS = 60_000;
const cache = new Map<string, { policy: PasswordPolicy; at: number }>();

export function policyFor(slug: string): PasswordPolicy {
  const c = cache.get(slug);
  return c && Date.now() - c.at < TTL_MS ? c.policy : DEFAULT_POLICY;
}

export function rememberPolicy(slug: string, policy: PasswordPolicy): void {
  if (cache.size > 10_000) cache.clear();
  cache.set(slug, { policy, at: Date.now() });
}

export interface NewPassword {
  hash: string;
  algorithm: HashAlgorithm;
  /** Code points after NFKC: the object checks it against the tenant's min_length. */
  length: number;
}

/** The checks that need the plaintext (floor length, too long, too common); throws `password_policy` with the reason. */
export function assertPasswordPolicy(raw: string): string {
  const r = checkPasswordPolicy(raw, FLOOR);
  if (!r.ok) throw new AuthError("password_policy", POLICY_MESSAGE[r.reason], { details: [{ reason: r.reason }] });
  return r.normalized;
}

/**
 * Checks what needs the plaintext and hashes it; throws `password_policy` with the reason.
 * `minLength` is the tenant's own only when the object has just answered it (a cached one may be stale).
 */
export async function newPassword(raw: string, alg: HashAlgorithm, minLength = FLOOR): Promise<NewPassword> {
  const normalized = assertPasswordPolicy(raw);
  const length = [...normalized].length;
  const short = tooShort(minLength, length);
  if (short) throw AuthError.from(short);
  return { hash: await hashPassword(normalized, alg), algorithm: alg, length };
}

const POLICY_MESSAGE: Record<string, string> = {
  too_short: `The password is too short.`,
  too_long: "The password is too long (at most 256 characters and 1,024 bytes).",
  too_common: "The password is too common.",
  invalid: "The password contains characters that are not allowed.",
};

/**
 * Runs `attempt` with a hash made under `policy`, the one the object answered to the route's
 * first call; on `stale_policy` (the settings changed in between) learns the new one,
 * rehashes and tries once more.
 */
export async function withPolicy<T>(
  slug: string,
  raw: string,
  policy: PasswordPolicy,
  attempt: (p: NewPassword) => Promise<{ ok: true; value: T } | { ok: false; error: Failure }>,
): Promise<{ ok: true; value: T } | { ok: false; error: Failure }> {
  rememberPolicy(slug, policy);
  let r = await attempt(await newPassword(raw, policy.hash, policy.min_length));
  if (!r.ok && r.error.code === "stale_policy") {
    const fresh = r.error.extra!.policy as PasswordPolicy;
    rememberPolicy(slug, fresh);
    r = await attempt(await newPassword(raw, fresh.hash, fresh.min_length));
  }
  return r;
}
