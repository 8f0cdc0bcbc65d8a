/**
 * @module The tenant-specific half of the password policy, applied in the object without the
 * plaintext: the minimum length (from the code-point count the router sends) and the hash
 * algorithm (a hash made under an outdated policy is sent back as `stale_policy`).
 */
import type { Failure } from "../../src/errors.ts";
import type { TenantCtx } from "./context.ts";

export interface HashedPassword {
  hash: string;
  algorithm: string;
  length: number;
}

export function checkNewPassword(ctx: TenantCtx, p: HashedPassword): { ok: false; error: Failure } | null {
  const policy = ctx.settings.password;
  if (p.algorithm !== policy.hash) return { ok: false, error: { code: "stale_policy", extra: { policy } } };
  const short = tooShort(policy.min_length, p.length);
  return short ? { ok: false, error: short } : null;
}

/** The tenant's `password.min_length` rule; the router applies it too, before hashing, once it knows the policy. */
export function tooShort(minLength: number, length: number): Failure | null {
  if (length >= minLength) return null;
  return { code: "password_policy", message: `The password must be at least ${minLength} characters.`, details: [{ reason: "too_short", min_length: minLength }] };
}
