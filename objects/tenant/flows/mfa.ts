/**
 * @module TOTP multi-factor authentication (RFC 6238): enroll, confirm
 * with a code, disable, recovery codes, and the second half of a login (`POST /login/mfa`).
 * Every change to the factors needs a recent authentication (`requireRecentAuth`, step-up.ts).
 * TOTP secrets are sealed and opened outside the transaction (WebCrypto is async); the code
 * check and the write of the step it used happen inside it, so a step is accepted once even
 * under parallel requests.
 */
import { beginWithToken } from "../bearer.ts";
import { base32Encode } from "../../../src/crypto/base32.ts";
import { generateTotpSecret, otpauthUri, verifyTotp } from "../../../src/crypto/totp.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { accountKey, clearAttempts, ipKey, lockedOut, rateLimit, reserveAttempt } from "../attempts.ts";
import { audit } from "../audit.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { mustVerifyEmail, UNVERIFIED_MESSAGE } from "../messages.ts";
import { confirmTotp as markConfirmed, deleteMfa, getTotp, putPendingTotp, replaceRecoveryCodes, useRecoveryCode, useTotpStep, type EnrollmentBinding } from "../mfa.ts";
import { consumeOneTimeToken, peekOneTimeToken } from "../one-time.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { requireRecentAuth, type StepUpInput } from "../step-up.ts";
import { getUser, type UserRow } from "../users.ts";
import { issue } from "./auth.ts";
import { failureGate, passkeyAmr, prepareAssertion, settleAssertion, type Prepared } from "../passkeys/assertion.ts";
import { rpOf } from "../passkeys/rp.ts";
import { hasPasskeys } from "../passkeys/store.ts";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";

export interface TotpEnrollment {
  /** Base32, for manual entry. */
  secret: string;
  otpauth_uri: string;
}

/**
 * `POST /mfa/totp`: a new 20-byte secret, pending until confirmed. Enrolling again before
 * confirming replaces the pending secret; once confirmed, TOTP must be disabled first.
 */
export async function enrollTotp(rt: Runtime, i: { accessToken: string; meta: RequestMeta }): Promise<Result<TotpEnrollment>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const secret = generateTotpSecret();
  const sealed = await rt.sealer.seal(secret, "totp-secret", ctx.slug, claims.sub);
  const r = rt.tx(ctx, (): Result<string> => {
    const p = requireRecentAuth(ctx, claims, { via: "enroll_mfa", meta: i.meta });
    if (!p.ok) return p;
    const { user } = p.value;
    if (getTotp(ctx.sql, user.id)?.confirmed_at != null) return fail("conflict", "TOTP is already enabled; disable it first.");
    putPendingTotp(ctx, user.id, sealed);
    return ok(user.email ?? user.username ?? user.id);
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok({ secret: base32Encode(secret), otpauth_uri: otpauthUri({ secret, issuer: ctx.name, account: r.value }) });
}

export interface ConfirmTotpInput {
  accessToken: string;
  code: string;
  meta: RequestMeta;
}

/** `POST /mfa/totp/confirm`: a current code activates the factor and returns the first ten recovery codes. */
export async function confirmTotp(rt: Runtime, i: ConfirmTotpInput): Promise<Result<{ enabled: true; recovery_codes: string[] }>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  // Read-only without an inline proof; checked again inside the transaction below.
  const early = requireRecentAuth(ctx, claims, { via: "confirm_mfa", meta: i.meta });
  if (!early.ok) return early;
  const pending = getTotp(ctx.sql, claims.sub);
  if (!pending) return fail("not_found", "No TOTP enrollment to confirm; start one with POST /mfa/totp.");
  if (pending.confirmed_at !== null) return fail("conflict", "TOTP is already enabled.");
  const secret = await rt.sealer.open(pending.secret, "totp-secret", ctx.slug, claims.sub);
  const r = rt.tx(ctx, (): Result<string[]> => {
    const p = requireRecentAuth(ctx, claims, { via: "confirm_mfa", meta: i.meta });
    if (!p.ok) return p;
    const row = getTotp(ctx.sql, claims.sub);
    // Re-enrolled or confirmed by a parallel request since we read it: this code is for a stale secret.
    if (!row || row.secret !== pending.secret || row.confirmed_at !== null) return fail("conflict", "The enrollment changed; start again.");
    const v = verifyTotp(secret, i.code, ctx.now, ctx.settings.mfa.totp_drift_steps, row.last_step);
    if (!v.ok) {
      audit(ctx, { type: "mfa.failure", userId: claims.sub, sessionId: claims.sid, meta: i.meta, data: { via: "confirm" } });
      return fail("invalid_request", "The code is not valid.", { details: [{ path: "code", code: "invalid_code", message: "not a current code of this authenticator" }] });
    }
    markConfirmed(ctx, claims.sub, v.step);
    const codes = replaceRecoveryCodes(ctx, claims.sub);
    audit(ctx, { type: "mfa.enrolled", userId: claims.sub, sessionId: claims.sid, meta: i.meta, data: { method: "totp" } });
    return ok(codes);
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok({ enabled: true, recovery_codes: r.value });
}

export interface DisableTotpInput extends StepUpInput {
  accessToken: string;
}

/** `DELETE /mfa/totp {password?}`: removes the factor (pending or active) and the recovery codes. */
export async function disableTotp(rt: Runtime, i: DisableTotpInput): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const p = requireRecentAuth(ctx, claims, { ...i, via: "disable_mfa" });
    if (!p.ok) return p;
    const { user, session } = p.value;
    const row = getTotp(ctx.sql, user.id);
    if (!row) return fail("not_found", "TOTP is not enabled.");
    // With `mfa.required`, an active TOTP is the account's second factor unless a passkey can be one.
    if (ctx.settings.mfa.required && row.confirmed_at !== null && !hasPasskeys(ctx.sql, user.id)) return fail("forbidden", "This tenant requires a second factor: add a passkey before turning TOTP off, or ask an operator to reset it.");
    deleteMfa(ctx, user.id);
    audit(ctx, { type: "mfa.disabled", userId: user.id, sessionId: session.id, meta: i.meta, data: { method: "totp" } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/** `POST /mfa/recovery-codes`: ten new codes; every earlier code stops working. */
export async function regenerateRecoveryCodes(rt: Runtime, i: { accessToken: string; meta: RequestMeta }): Promise<Result<{ codes: string[] }>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<{ codes: string[] }> => {
    const p = requireRecentAuth(ctx, claims, { via: "recovery_codes", meta: i.meta });
    if (!p.ok) return p;
    if (getTotp(ctx.sql, claims.sub)?.confirmed_at == null) return fail("conflict", "Recovery codes need an active TOTP factor; enable TOTP first.");
    const codes = replaceRecoveryCodes(ctx, claims.sub);
    audit(ctx, { type: "mfa.recovery_codes", userId: claims.sub, sessionId: claims.sid, meta: i.meta });
    return ok({ codes });
  });
  await rt.commit(ctx);
  return r;
}

export interface LoginMfaInput {
  mfaToken: string;
  /** A TOTP or recovery code, or else `webauthn`: a passkey assertion for a `POST /login/mfa/webauthn/options` challenge. */
  code?: string;
  webauthn?: AuthenticationResponseJSON;
  meta: RequestMeta;
}

/**
 * `POST /login/mfa`: the second half of a login. The challenge survives a wrong code (until it
 * expires), but every code attempt is counted against the account's lockout before the code is
 * checked, exactly like a password guess, and a success clears the counter and spends the
 * challenge. A six-digit code is a TOTP code; anything else is tried as a recovery code. A
 * passkey assertion is verified before the transaction and never counts toward the lockout
 * (passkeys/assertion.ts); its failures are limited per IP instead.
 */
export async function loginMfa(rt: Runtime, i: LoginMfaInput): Promise<Result<TokenResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const ch = peekOneTimeToken(ctx.sql, "mfa_challenge", i.mfaToken, ctx.now);
  const u0 = ch?.user_id ? getUser(ctx.sql, ch.user_id) : null;
  if (!ch || !u0) return invalidMfaToken();
  const secret = await rt.userSecret(u0);
  const bound = JSON.parse(ch.data ?? "{}") as Bound;
  if (bound.enroll) return finishEnrollment(rt, ctx, i, u0, secret, bound);
  let passkey: Prepared | null = null;
  if (i.webauthn) {
    const rp = rpOf(ctx);
    if (!rp.ok) return rp;
    const gate = failureGate(ctx, i.meta);
    if (!gate.ok) return gate;
    passkey = await prepareAssertion(ctx, rp.value, i.webauthn, "webauthn_mfa", { userId: u0.id, data: (d) => d.mfa === ch.hash });
  }
  const totp = passkey ? null : await openTotp(rt, ctx, u0.id);
  const r = rt.tx(ctx, (): Result<Issued> => {
    const user = challengedUser(ctx, i.mfaToken, u0, bound);
    if (!user) return invalidMfaToken();
    const first = bound.amr ?? ["pwd"];
    if (!first.includes("email") && mustVerifyEmail(ctx, user)) return fail("forbidden", UNVERIFIED_MESSAGE);
    let amr: string[];
    let method: string;
    let passkeyId = bound.passkey ?? null;
    if (passkey) {
      const s = settleAssertion(ctx, passkey, { via: "login_mfa", meta: i.meta });
      if (!s.ok) return s;
      amr = [...new Set([...first, ...passkeyAmr(s.value.userVerified)])];
      method = "webauthn";
      passkeyId = s.value.passkey.id;
    } else {
      const m = proveSecondFactor(ctx, user, totp, i.code ?? "", { via: "login", meta: i.meta });
      if (!m.ok) return m;
      amr = [...first, "otp"];
      method = m.value;
    }
    consumeOneTimeToken(ctx, "mfa_challenge", i.mfaToken);
    audit(ctx, { type: "login.success", userId: user.id, meta: i.meta, data: { amr, method } });
    return ok(issue(ctx, user, secret, amr, i.meta, passkeyId));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok(await rt.respond(ctx, r.value));
}

/** What an `mfa_challenge` token binds: the secret version and `amr` of the first factor, its passkey, and whether it is an enrollment. */
type Bound = { ver?: number; amr?: string[]; passkey?: string } & Partial<EnrollmentBinding>;

const invalidMfaToken = () => fail("invalid_token", "The MFA token is invalid, expired or already used.");

/**
 * Inside the transaction: the challenge's user, while its token is unspent and the user is
 * active at the secret version of the first factor (a password change or a revocation since
 * kills the token, which is then spent). Null when it is not.
 */
function challengedUser(ctx: TenantCtx, mfaToken: string, u0: UserRow, bound: Bound): UserRow | null {
  if (!peekOneTimeToken(ctx.sql, "mfa_challenge", mfaToken, ctx.now)) return null;
  const user = getUser(ctx.sql, u0.id);
  if (user && user.status === "active" && user.secret_version === bound.ver && user.secret_version === u0.secret_version) return user;
  consumeOneTimeToken(ctx, "mfa_challenge", mfaToken);
  return null;
}

/** What `POST /login/mfa` answers after an enrollment: the token response and the new factor's first recovery codes (shown once). */
export type EnrolledTokenResponse = TokenResponse & { recovery_codes: string[] };

/**
 * `POST /login/mfa/totp {mfa_token}`: for the token of a 401 `mfa_enrollment_required`, a new
 * TOTP secret, pending until `POST /login/mfa` brings a code of it. Asking again replaces the
 * pending secret; the token stays valid (it is spent by the sign-in).
 */
export async function loginEnrollTotp(rt: Runtime, i: { mfaToken: string; meta: RequestMeta }): Promise<Result<TotpEnrollment>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const ch = peekOneTimeToken(ctx.sql, "mfa_challenge", i.mfaToken, ctx.now);
  const u0 = ch?.user_id ? getUser(ctx.sql, ch.user_id) : null;
  const bound = JSON.parse(ch?.data ?? "{}") as Bound;
  if (!ch || !u0 || !bound.enroll) return invalidMfaToken();
  const secret = generateTotpSecret();
  const sealed = await rt.sealer.seal(secret, "totp-secret", ctx.slug, u0.id);
  const r = rt.tx(ctx, (): Result<string> => {
    const user = challengedUser(ctx, i.mfaToken, u0, bound);
    if (!user) return invalidMfaToken();
    if (getTotp(ctx.sql, user.id)?.confirmed_at != null) return fail("conflict", "TOTP is already enabled; sign in again.");
    putPendingTotp(ctx, user.id, sealed);
    return ok(user.email ?? user.username ?? user.id);
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok({ secret: base32Encode(secret), otpauth_uri: otpauthUri({ secret, issuer: ctx.name, account: r.value }) });
}

/**
 * The second half of a sign-in that had to add its factor: a code of the pending TOTP confirms
 * it (the attempt counted against the account's lockout first, like any code) and signs in
 * with `otp` added to the first factor's `amr`. Recovery codes and passkeys cannot answer an
 * enrollment: the user has neither yet.
 */
async function finishEnrollment(rt: Runtime, ctx: TenantCtx, i: LoginMfaInput, u0: UserRow, secret: Uint8Array, bound: Bound): Promise<Result<EnrolledTokenResponse>> {
  if (i.webauthn || !/^[0-9]{6}$/.test(i.code ?? "")) return fail("invalid_request", "Enter a six-digit code of the new authenticator.", { details: [{ path: "code", code: "invalid_code", message: "a six-digit TOTP code" }] });
  const pending = getTotp(ctx.sql, u0.id);
  if (!pending || pending.confirmed_at !== null) return fail("invalid_request", "No TOTP is being added; start with POST /login/mfa/totp.");
  const totp: OpenedTotp = { sealed: pending.secret, secret: await rt.sealer.open(pending.secret, "totp-secret", ctx.slug, u0.id) };
  const r = rt.tx(ctx, (): Result<Issued & { codes: string[] }> => {
    const user = challengedUser(ctx, i.mfaToken, u0, bound);
    if (!user) return invalidMfaToken();
    const first = bound.amr ?? ["pwd"];
    if (!bound.signup && !first.includes("email") && mustVerifyEmail(ctx, user)) return fail("forbidden", UNVERIFIED_MESSAGE);
    const m = proveSecondFactor(ctx, user, totp, i.code!, { via: "enroll", meta: i.meta, enrolling: true });
    if (!m.ok) return m;
    const codes = replaceRecoveryCodes(ctx, user.id);
    consumeOneTimeToken(ctx, "mfa_challenge", i.mfaToken);
    const amr = [...first, "otp"];
    audit(ctx, { type: "mfa.enrolled", userId: user.id, meta: i.meta, data: { method: "totp", via: "login" } });
    audit(ctx, { type: "login.success", userId: user.id, meta: i.meta, data: { amr, method: "totp" } });
    return ok({ ...issue(ctx, user, secret, amr, i.meta, bound.passkey ?? null), codes });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  const { codes, ...issued } = r.value;
  return ok({ ...(await rt.respond(ctx, issued)), recovery_codes: codes });
}

/** A confirmed TOTP factor as read before a transaction: the sealed value and the opened secret. */
export interface OpenedTotp {
  sealed: string;
  secret: Uint8Array;
}

/** Opens the user's confirmed TOTP secret (async, so before the transaction); null without one. */
export async function openTotp(rt: Runtime, ctx: TenantCtx, userId: string): Promise<OpenedTotp | null> {
  const t = getTotp(ctx.sql, userId);
  return t?.confirmed_at != null ? { sealed: t.secret, secret: await rt.sealer.open(t.secret, "totp-secret", ctx.slug, userId) } : null;
}

/**
 * A second-factor code, for `POST /login/mfa` and `POST /reauth {code}`: the attempt is counted
 * against the account's lockout before the code is checked, exactly like a password guess; a
 * six-digit code is a TOTP code (its step then spent), anything else is tried as a recovery
 * code (spent). A failure is audited `mfa.failure` and counted for the IP; a success clears
 * the account's counter. `totp` must still be the factor the transaction sees.
 */
export function proveSecondFactor(ctx: TenantCtx, user: UserRow, totp: OpenedTotp | null, code: string, o: { via: string; meta: RequestMeta; sessionId?: string; enrolling?: boolean }): Result<"totp" | "recovery_code"> {
  const key = accountKey(user.id);
  const lock = reserveAttempt(ctx, key);
  if (!lock.ok) {
    audit(ctx, { type: "login.locked", userId: user.id, sessionId: o.sessionId, meta: o.meta, data: { via: o.via } });
    return lockedOut(lock);
  }
  const row = getTotp(ctx.sql, user.id);
  let method: "totp" | "recovery_code" | null = null;
  // Enrolling, the pending factor (a code of it turns it on); else the active one. Replaced since it was read: no code of it counts.
  if (totp && row && (row.confirmed_at === null) === !!o.enrolling && row.secret === totp.sealed) {
    if (/^[0-9]{6}$/.test(code)) {
      const v = verifyTotp(totp.secret, code, ctx.now, ctx.settings.mfa.totp_drift_steps, row.last_step);
      if (v.ok) ((o.enrolling ? markConfirmed : useTotpStep)(ctx, user.id, v.step), (method = "totp"));
    } else if (!o.enrolling && useRecoveryCode(ctx, user.id, code)) {
      method = "recovery_code";
    }
  }
  if (!method) {
    rateLimit(ctx, ipKey("fail", o.meta.ip), Number.MAX_SAFE_INTEGER, 3600);
    audit(ctx, { type: "mfa.failure", userId: user.id, sessionId: o.sessionId, meta: o.meta, data: { via: o.via } });
    return fail("invalid_credentials", "Invalid code.");
  }
  clearAttempts(ctx, key);
  return ok(method);
}
