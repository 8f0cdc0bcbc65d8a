/**
 * @module Password work done in the router Worker, never in the tenant object: policy checks
 * that need the plaintext (length bounds, the common-password list, NFKC) and hashing.
 *
 * The router does not know each tenant's settings without asking its object, so it hashes
 * with the policy it last saw for the tenant (or the default) and sends the code-point length
 * along. The object enforces `password.min_length` with that length, and when the hash
 * algorithm is not the tenant's it answers `stale_policy` with the real one: the router
 * remembers it, rehashes and retries once. One RPC in the common case.
 */
import { AuthError, type Failure } from "./errors.ts";
import { hashPassword, type HashAlgorithm } from "./crypto/password.ts";
import { checkPasswordPolicy } from "./crypto/password-policy.ts";

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

/** Checks what needs the plaintext and hashes it; throws `password_policy` with the reason. */
export async function newPassword(raw: string, alg: HashAlgorithm): Promise<NewPassword> {
  const normalized = assertPasswordPolicy(raw);
  return { hash: await hashPassword(normalized, alg), algorithm: alg, length: [...normalized].length };
}

const POLICY_MESSAGE: Record<string, string> = {
  too_short: `The password is too short.`,
  too_long: "The password is too long (at most 256 characters and 1,024 bytes).",
  too_common: "The password is too common.",
  invalid: "The password contains characters that are not allowed.",
};

/**
 * Runs `attempt` with a hash made under the cached policy; on `stale_policy` learns the
 * tenant's real policy, rehashes and tries once more.
 */
export async function withPolicy<T>(
  slug: string,
  raw: string,
  attempt: (p: NewPassword) => Promise<{ ok: true; value: T } | { ok: false; error: Failure }>,
): Promise<{ ok: true; value: T } | { ok: false; error: Failure }> {
  let policy = policyFor(slug);
  let r = await attempt(await newPassword(raw, policy.hash));
  if (!r.ok && r.error.code === "stale_policy") {
    policy = r.error.extra!.policy as PasswordPolicy;
    rememberPolicy(slug, policy);
    r = await attempt(await newPassword(raw, policy.hash));
  }
  return r;
}
