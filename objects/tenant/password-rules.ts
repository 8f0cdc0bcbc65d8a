/**
 * @module The tenant-specific half of the password policy, applied in the object without the
 * plaintext: the minimum length (from the code-point count the router sends), the hash
 * algorithm and the context words the router checked (a password made under an outdated
 * policy is sent back as `stale_policy`, with the current one).
 */
import type { Failure } from "../../src/errors.ts";
import { wordsOf } from "../../src/crypto/password-policy.ts";
import type { Settings } from "../../schema/settings.ts";
import type { TenantCtx } from "./context.ts";

export interface HashedPassword {
  hash: string;
  algorithm: string;
  length: number;
  /** The context words the router checked the plaintext against (`policy.context_words`). */
  context_words: string[];
}

export type PasswordPolicy = Settings["password"];

/**
 * The policy the router applies before hashing: the tenant's `password` settings, with
 * `context_words` extended by what the tenant is known by (its slug, its name, the name its
 * pages show). The account's own identifiers are added by the router, which has them.
 */
export function passwordPolicy(ctx: TenantCtx): PasswordPolicy {
  const s = ctx.settings;
  return { ...s.password, context_words: wordsOf(ctx.slug, ctx.name, s.branding.display_name, ...s.password.context_words) };
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && b.every((w, i) => a[i] === w);
}

export function checkNewPassword(ctx: TenantCtx, p: HashedPassword): { ok: false; error: Failure } | null {
  const policy = passwordPolicy(ctx);
  if (p.algorithm !== policy.hash || !sameWords(p.context_words, policy.context_words)) return { ok: false, error: { code: "stale_policy", extra: { policy } } };
  const short = tooShort(policy.min_length, p.length);
  return short ? { ok: false, error: short } : null;
}

/** The tenant's `password.min_length` rule; the router applies it too, before hashing, once it knows the policy. */
export function tooShort(minLength: number, length: number): Failure | null {
  if (length >= minLength) return null;
  return { code: "password_policy", message: `The password must be at least ${minLength} characters.`, details: [{ reason: "too_short", min_length: minLength }] };
}
