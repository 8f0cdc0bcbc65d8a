/**
 * @module Password work done in the router Worker, never in the tenant object: policy checks
 * that need the plaintext (length bounds, the common-password list, NFKC) and hashing.
 *
 * A hash is ~170 ms of CPU, so it is never computed for a request the object would refuse
 * anyway: sign-up and reset first make a cheap call that checks the tenant, the route's
 * gates and the token, reserves the rate-limit budget, and answers the tenant's policy; only
 * then does the router hash (with that policy: its `min_length` and its context words checked
 * first) and send it. The object still enforces `password.min_length` with the code-point
 * length sent along, and when the settings changed in between (the hash algorithm or the
 * context words) it answers `stale_policy` with the real policy: the router checks and
 * hashes again under it and retries once.
 */
import { AuthError, type Failure } from "./errors.ts";
import { hashPassword, type HashAlgorithm } from "./crypto/password.ts";
import { checkPasswordPolicy, contextWordsLeave } from "./crypto/password-policy.ts";
import { breachCount } from "./crypto/breached.ts";
import type { OutboundEnv } from "./http/outbound.ts";
import { tooShort, type PasswordPolicy } from "../objects/tenant/password-rules.ts";

/** The tenant's `password` settings as the object answers them (`passwordPolicy`: its context words include its slug and names). */
export type { PasswordPolicy };
/** The lowest `password.min_length` a tenant may set; the object applies the tenant's own. */
const FLOOR = 8;

export interface NewPassword {
  hash: string;
  algorithm: HashAlgorithm;
  /** Code points after NFKC: the object checks it against the tenant's min_length. */
  length: number;
  /** The tenant's context words it was checked against: the object refuses a stale list. */
  context_words: string[];
}

/** The checks that need the plaintext (floor length, too long, too common); throws `password_policy` with the reason. */
export function assertPasswordPolicy(raw: string): string {
  const r = checkPasswordPolicy(raw, FLOOR);
  if (!r.ok) throw new AuthError("password_policy", POLICY_MESSAGE[r.reason], { details: [{ reason: r.reason }] });
  return r.normalized;
}

/**
 * Checks what needs the plaintext under the tenant's policy (its `min_length`, its context
 * words together with the account's own `identifiers`: none of them counts toward the length,
 * and the breached-password check when the tenant has it on) and hashes it; throws
 * `password_policy` with the reason. The policy is the tenant's own only when the object has
 * just answered it (a cached one may be stale: the object then answers `stale_policy`).
 */
export async function newPassword(raw: string, policy: PasswordPolicy, identifiers: readonly string[], env: OutboundEnv): Promise<NewPassword> {
  return hashChecked(await assertNewPassword(raw, policy, identifiers, env), policy);
}

/** `newPassword`'s checks without the hash: throws `password_policy` (or `unavailable`), or answers the normalized password. */
export async function assertNewPassword(raw: string, policy: PasswordPolicy, identifiers: readonly string[], env: OutboundEnv): Promise<string> {
  const normalized = assertPasswordPolicy(raw);
  const short = tooShort(policy.min_length, [...normalized].length);
  if (short) throw AuthError.from(short);
  if (!contextWordsLeave(normalized, [...policy.context_words, ...identifiers], policy.min_length)) {
    throw new AuthError("password_policy", POLICY_MESSAGE.context_word, { details: [{ reason: "context_word", min_length: policy.min_length }] });
  }
  if (policy.breached_check === "hibp" && (await breachCount(normalized, env)) > 0) {
    throw new AuthError("password_policy", POLICY_MESSAGE.breached, { details: [{ reason: "breached" }] });
  }
  return normalized;
}

/** The hash of a password `assertNewPassword` accepted under `policy`. */
export async function hashChecked(normalized: string, policy: PasswordPolicy): Promise<NewPassword> {
  return { hash: await hashPassword(normalized, policy.hash), algorithm: policy.hash, length: [...normalized].length, context_words: policy.context_words };
}

const POLICY_MESSAGE: Record<string, string> = {
  too_short: `The password is too short.`,
  too_long: "The password is too long (at most 256 characters and 1,024 bytes).",
  too_common: "The password is too common.",
  context_word: "The password leans on a name this service or this account is known by: without it, it is too short.",
  breached: "The password has appeared in a data breach, so attackers try it first. Choose another.",
  invalid: "The password contains characters that are not allowed.",
};

/**
 * Runs `attempt` with a hash made under `policy`, the one the object answered to the route's
 * first call; on `stale_policy` (the settings changed in between) learns the new one,
 * rehashes and tries once more.
 */
export async function withPolicy<T>(
  raw: string,
  policy: PasswordPolicy,
  identifiers: readonly string[],
  env: OutboundEnv,
  attempt: (p: NewPassword) => Promise<{ ok: true; value: T } | { ok: false; error: Failure }>,
): Promise<{ ok: true; value: T } | { ok: false; error: Failure }> {
  let r = await attempt(await newPassword(raw, policy, identifiers, env));
  if (!r.ok && r.error.code === "stale_policy") {
    const fresh = r.error.extra!.policy as PasswordPolicy;
    r = await attempt(await newPassword(raw, fresh, identifiers, env));
  }
  return r;
}
