/**
 * @module Second factors: one TOTP per user (secret sealed at rest, pending until confirmed
 * with a code, with the last accepted time step so each step is used once, RFC 6238 section
 * 5.2) and ten single-use recovery codes stored as SHA-256. Also the MFA challenge that a
 * first factor (password or magic link) turns into when the user has a confirmed TOTP.
 */
import { sha256B64 } from "../../src/crypto/digest.ts";
import { generateRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from "../../src/crypto/recovery-code.ts";
import { fail, type Failure } from "../../src/errors.ts";
import type { TenantCtx } from "./context.ts";
import { createOneTimeToken } from "./one-time.ts";
import { hasPasskeys } from "./passkeys/store.ts";
import { one, run } from "./sql.ts";
import { mfaEnabled, type UserRow } from "./users.ts";

export interface TotpRow {
  user_id: string;
  /** Sealed with purpose "totp-secret" and the user id as the row. */
  secret: string;
  created_at: number;
  confirmed_at: number | null;
  last_step: number | null;
}

export function getTotp(sql: SqlStorage, userId: string): TotpRow | null {
  return one<TotpRow>(sql, "SELECT * FROM mfa_totp WHERE user_id = ?", userId);
}

/** Starts (or restarts) an enrollment; the factor is not active until `confirmTotp`. */
export function putPendingTotp(ctx: TenantCtx, userId: string, sealedSecret: string): void {
  ctx.sql.exec(
    `INSERT INTO mfa_totp (user_id, secret, created_at, confirmed_at, last_step) VALUES (?, ?, ?, NULL, NULL)
     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, confirmed_at = NULL, last_step = NULL`,
    userId, sealedSecret, ctx.now,
  );
}

export function confirmTotp(ctx: TenantCtx, userId: string, step: number): void {
  ctx.sql.exec("UPDATE mfa_totp SET confirmed_at = ?, last_step = ? WHERE user_id = ?", ctx.now, step, userId);
}

/** Records the step just accepted: it and every earlier step are refused from now on. */
export function useTotpStep(ctx: TenantCtx, userId: string, step: number): void {
  ctx.sql.exec("UPDATE mfa_totp SET last_step = ? WHERE user_id = ?", step, userId);
}

/** Removes the TOTP factor and every recovery code; returns the rows removed. */
export function deleteMfa(ctx: TenantCtx, userId: string): number {
  return run(ctx.sql, "DELETE FROM mfa_totp WHERE user_id = ?", userId) + run(ctx.sql, "DELETE FROM recovery_codes WHERE user_id = ?", userId);
}

/** Replaces all of the user's recovery codes with new ones; the plaintext is returned once and never stored. */
export function replaceRecoveryCodes(ctx: TenantCtx, userId: string): string[] {
  ctx.sql.exec("DELETE FROM recovery_codes WHERE user_id = ?", userId);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  for (const c of codes) {
    ctx.sql.exec("INSERT INTO recovery_codes (hash, user_id, created_at) VALUES (?, ?, ?)", sha256B64(normalizeRecoveryCode(c)!), userId, ctx.now);
  }
  return codes;
}

/** Spends one unused recovery code of this user; false when it is unknown, another user's or used. */
export function useRecoveryCode(ctx: TenantCtx, userId: string, input: string): boolean {
  const code = normalizeRecoveryCode(input);
  if (!code) return false;
  return run(ctx.sql, "UPDATE recovery_codes SET used_at = ? WHERE hash = ? AND user_id = ? AND used_at IS NULL", ctx.now, sha256B64(code), userId) === 1;
}

export function unusedRecoveryCodes(sql: SqlStorage, userId: string): number {
  return one<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", userId)!.n;
}

/**
 * The answer to a first factor when the user has a confirmed TOTP: 401 `mfa_required` with a
 * single-use `mfa_token` (5 minutes) bound to the user, their secret version and the first
 * factor's `amr`, which `POST /login/mfa` extends with `otp` (or `pop` for a passkey).
 * `methods` lists `webauthn` when the user has a passkey and the first factor was not one;
 * `passkeyId` names the passkey of a first factor, so the session is ended with it.
 */
export function mfaChallenge(ctx: TenantCtx, user: UserRow, amr: string[], passkeyId: string | null = null): { ok: false; error: Failure } {
  const { token } = createOneTimeToken(ctx, "mfa_challenge", { userId: user.id, data: { ver: user.secret_version, amr, ...(passkeyId ? { passkey: passkeyId } : {}) } });
  const methods = !mfaEnabled(ctx.sql, user.id) ? [] : unusedRecoveryCodes(ctx.sql, user.id) > 0 ? ["totp", "recovery_code"] : ["totp"];
  if (!amr.includes("pop") && hasPasskeys(ctx.sql, user.id)) methods.push("webauthn");
  return fail("mfa_required", undefined, { extra: { mfa_token: token, methods } });
}

/** What an enrollment challenge binds, beside a challenge's `ver`, `amr` and `passkey`. */
export interface EnrollmentBinding {
  enroll: true;
  /** Made by a sign-up: the new account may finish before its email is verified, as a sign-up's own session may. */
  signup?: true;
}

/**
 * What a single first factor turns into before a session is issued, or null when it is enough.
 * A user with TOTP always gets `mfa_required`. With the tenant's `mfa.required`, a user without
 * TOTP gets `mfa_required` for one of their passkeys (when the first factor was not a passkey),
 * or else 401 `mfa_enrollment_required`: its `mfa_token` (5 minutes, single use, bound like a
 * challenge's) starts a TOTP with `POST /login/mfa/totp`, and `POST /login/mfa` with a code of
 * it confirms the factor and signs in. A first factor that is two already (a user-verified
 * passkey) is not asked here: its callers pass it by.
 */
export function secondFactor(ctx: TenantCtx, user: UserRow, amr: string[], o: { passkeyId?: string | null; signup?: boolean } = {}): { ok: false; error: Failure } | null {
  if (mfaEnabled(ctx.sql, user.id)) return mfaChallenge(ctx, user, amr, o.passkeyId ?? null);
  if (!ctx.settings.mfa.required) return null;
  if (!amr.includes("pop") && hasPasskeys(ctx.sql, user.id)) return mfaChallenge(ctx, user, amr, o.passkeyId ?? null);
  const binding: EnrollmentBinding = { enroll: true, ...(o.signup ? { signup: true as const } : {}) };
  const { token } = createOneTimeToken(ctx, "mfa_challenge", { userId: user.id, data: { ver: user.secret_version, amr, ...(o.passkeyId ? { passkey: o.passkeyId } : {}), ...binding } });
  return fail("mfa_enrollment_required", undefined, { extra: { mfa_token: token, methods: ["totp"] } });
}
