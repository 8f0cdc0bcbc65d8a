/**
 * @module Account recovery and passwordless sign-in: magic links,
 * password reset, email verification, and the operator's unlock. Requests for a link answer
 * the same whether or not the address is known (no enumeration); every limit (Turnstile after
 * failures, per IP, per email) is counted in the same transaction that decides.
 */
import { beginWithToken } from "../bearer.ts";
import { findBrowserSession } from "../browser.ts";
import { userId as newUserId } from "../../../src/crypto/random.ts";
import { beginAs, type Operator } from "../operator.ts";
import { claimAccount } from "../claim.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { clearLockout, failureCount, ipKey, loginKey, rateLimit } from "../attempts.ts";
import { audit } from "../audit.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { logMessage, queueEmailVerification, sendMessage, type Message } from "../messages.ts";
import { secondFactor } from "../mfa.ts";
import { consumeOneTimeToken, createOneTimeToken, peekOneTimeToken, TTL_S, type OneTimeRow } from "../one-time.ts";
import { checkNewPassword, passwordPolicy, type HashedPassword, type PasswordPolicy } from "../password-rules.ts";
import { identifierWords } from "../../../src/crypto/password-policy.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import type { Settings } from "../../../schema/settings.ts";
import { checkLive } from "../tokens.ts";
import { findUserByLogin, getUser, identifierTaken, insertUser, rotateSecret, setCredential, syncDirectory, type UserRow } from "../users.ts";
import { issue, limited, needsTurnstile } from "./auth.ts";

export interface EmailRequestInput {
  /** NFKC, as typed: the address the message goes to when the user is unknown. */
  email: string;
  /** normalizeEmail(): what is looked up and rate-limited. */
  emailNorm: string;
  meta: RequestMeta;
  turnstileVerified: boolean;
}

/**
 * The gates of `POST /magic-link` and `POST /password/forgot`, in order: Turnstile when the
 * tenant requires it for the route, or after `turnstile.after_failures` failed logins for the
 * account or the IP; the route's limit per IP; `rate_limits.per_email`, one budget per address
 * shared by both routes (it bounds how many messages one inbox can be sent). Known and unknown
 * addresses are counted alike, so a 429 reveals nothing either.
 */
function gate(ctx: TenantCtx, route: "magic_link" | "password_forgot", i: EmailRequestInput, user: UserRow | null): Result<void> {
  if (needsTurnstile(ctx, route, i.turnstileVerified)) return fail("turnstile_required");
  const after = ctx.settings.turnstile.after_failures;
  if (!i.turnstileVerified && after !== null) {
    const failures = Math.max(failureCount(ctx.sql, loginKey({ kind: "email", value: i.emailNorm })), failureCount(ctx.sql, ipKey("fail", i.meta.ip)));
    if (failures >= after) return fail("turnstile_required");
  }
  const perIp = limited(ctx, route, i.meta.ip);
  if (!perIp.ok) return perIp;
  return perEmail(ctx, i.emailNorm);
}

/** `rate_limits.per_email`: one budget per address for every message Warden sends to it. */
export function perEmail(ctx: TenantCtx, emailNorm: string): Result<void> {
  const rl = ctx.settings.rate_limits.per_email;
  const g = rateLimit(ctx, `rl:email:${emailNorm}`, rl.limit, rl.window_s);
  return g.ok ? ok(undefined) : fail("rate_limited", undefined, { retryAfter: g.retryAfter ?? rl.window_s });
}

const canSignUpByEmail = (ctx: TenantCtx): boolean => ctx.settings.signup.enabled && ctx.settings.signup.identifiers.includes("email");

/** The user a link request may send to: known, active, with an address. */
const recipient = (user: UserRow | null): UserRow | null => (user && user.status === "active" && user.email ? user : null);

/**
 * What a link request for an address that gets no message does instead, so that it does the
 * same work as one that does (same statements, same awaits) and answers in the same time: it
 * writes a token row that nothing can use (no user, no address: every consumer refuses it)
 * and the same audit row, marked `delivered: false`. Only the webhook row is not queued (and
 * so no delivery starts).
 */
function decoy(ctx: TenantCtx, purpose: "magic_link" | "password_reset", meta: RequestMeta): null {
  createOneTimeToken(ctx, purpose, { userId: null, email: null, data: { ver: 0 } });
  audit(ctx, { type: purpose === "magic_link" ? "magic_link.sent" : "password.reset_requested", userId: null, meta, data: { delivered: false } });
  return null;
}

/**
 * `POST /magic-link`: 202 whatever happens past the gates. A known active user gets a link
 * bound to their secret version (a password change or revocation kills it). An unknown
 * address gets a link only when the tenant lets people sign up by email; the account is
 * created when the link is used, not before, so typos and strangers create nothing.
 */
export async function requestMagicLink(rt: Runtime, i: EmailRequestInput): Promise<Result<null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, (): Result<Message | null> => {
    const user = findUserByLogin(ctx.sql, { kind: "email", value: i.emailNorm });
    const g = gate(ctx, "magic_link", i, user);
    if (!g.ok) return g;
    if (user) {
      const to = recipient(user);
      if (!to) return ok(decoy(ctx, "magic_link", i.meta));
      const t = createOneTimeToken(ctx, "magic_link", { userId: to.id, email: i.emailNorm, data: { ver: to.secret_version } });
      audit(ctx, { type: "magic_link.sent", userId: to.id, meta: i.meta });
      return ok(sendMessage(ctx, "magic_link", to.email!, t));
    }
    if (!canSignUpByEmail(ctx)) return ok(decoy(ctx, "magic_link", i.meta));
    const t = createOneTimeToken(ctx, "magic_link", { email: i.emailNorm, data: { email: i.email } });
    audit(ctx, { type: "magic_link.sent", userId: null, meta: i.meta, data: { new_user: true } });
    return ok(sendMessage(ctx, "magic_link", i.email, t));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value);
  return ok(null);
}

/**
 * `POST /magic-link/verify`: spends the link and signs in with `amr: ["email"]`. Using the link
 * proves the address, so `email_verified` is set; on an account whose email was not verified
 * yet, it is a claim (claim.ts): the account loses every session and credential set before,
 * and the prover signs in to a clean account. A verified user with TOTP gets `mfa_required`
 * instead (the link is one factor, not two); an unknown address becomes a new account (no password).
 */
export async function verifyMagicLink(rt: Runtime, i: { token: string; meta: RequestMeta }): Promise<Result<TokenResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const invalid = () => fail("invalid_token", "The link is invalid, expired or already used.");
  const row = peekOneTimeToken(ctx.sql, "magic_link", i.token, ctx.now);
  if (!row || !row.email) return invalid();
  // Someone may have signed up with the address since an "unknown" link was sent: it signs them in.
  const u0 = row.user_id ? getUser(ctx.sql, row.user_id) : findUserByLogin(ctx.sql, { kind: "email", value: row.email });
  const secret = u0 ? await rt.userSecret(u0) : null;
  const claimSecret = u0 && u0.email_verified !== 1 ? await rt.newSecret(u0.id) : null;
  let fresh: { id: string; bytes: Uint8Array; sealed: string } | null = null;
  if (!u0) {
    const id = newUserId();
    fresh = { id, ...(await rt.newSecret(id)) };
  }
  const r = rt.tx(ctx, (): Result<Issued & { claimed: number | null }> => {
    const t = consumeOneTimeToken(ctx, "magic_link", i.token);
    if (!t || !t.email) return invalid();
    const bound = JSON.parse(t.data ?? "{}") as { ver?: number; email?: string };
    let user = t.user_id ? getUser(ctx.sql, t.user_id) : findUserByLogin(ctx.sql, { kind: "email", value: t.email });
    if (u0) {
      // Verified or not decides whether this is a claim, for which the secret was made above.
      const stale = !user || user.id !== u0.id || user.secret_version !== u0.secret_version || user.email_verified !== u0.email_verified || (t.user_id !== null && bound.ver !== user.secret_version);
      if (stale || user!.status !== "active" || user!.email_norm !== t.email) return invalid();
    } else {
      if (user) return invalid(); // taken between our read and now: the sender can simply ask again
      if (!canSignUpByEmail(ctx)) return fail("forbidden", "Sign-up is disabled for this tenant.");
      user = insertUser(ctx, {
        id: fresh!.id,
        email: bound.email ?? t.email,
        username: null,
        email_norm: t.email,
        username_norm: null,
        email_verified: true,
        sealedSecret: fresh!.sealed,
        metadata: {},
        hash: null,
        algorithm: null,
      });
      audit(ctx, { type: "signup", userId: user.id, meta: i.meta, data: { via: "magic_link" } });
    }
    const claimed = claimSecret ? claimAccount(ctx, user!, { via: "magic_link", sealedSecret: claimSecret.sealed, meta: i.meta }) : null;
    const u = getUser(ctx.sql, user!.id)!;
    if (u.email_verified !== 1) {
      ctx.sql.exec("UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", ctx.now, u.id);
      audit(ctx, { type: "email.verified", userId: u.id, meta: i.meta, data: { via: "magic_link" } });
    }
    const current = getUser(ctx.sql, u.id)!;
    const second = secondFactor(ctx, current, ["email"]);
    if (second) return second;
    audit(ctx, { type: "login.success", userId: u.id, meta: i.meta, data: { amr: ["email"], claimed: claimed !== null } });
    const key = claimed !== null ? claimSecret!.bytes : (secret ?? fresh!.bytes);
    return ok({ ...issue(ctx, current, key, ["email"], i.meta), claimed });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  if (fresh) rt.rememberSecret(fresh.id, 1, fresh.bytes);
  if (r.value.claimed !== null) rt.rememberSecret(u0!.id, r.value.claimed, claimSecret!.bytes);
  return ok(await rt.respond(ctx, r.value));
}

/** `POST /password/forgot`: 202 whatever happens past the gates; only a known active user with that email gets a token. */
export async function forgotPassword(rt: Runtime, i: EmailRequestInput): Promise<Result<null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, (): Result<Message | null> => {
    const user = findUserByLogin(ctx.sql, { kind: "email", value: i.emailNorm });
    const g = gate(ctx, "password_forgot", i, user);
    if (!g.ok) return g;
    const to = recipient(user);
    if (!to) return ok(decoy(ctx, "password_reset", i.meta));
    const t = createOneTimeToken(ctx, "password_reset", { userId: to.id, email: i.emailNorm, data: { ver: to.secret_version } });
    audit(ctx, { type: "password.reset_requested", userId: to.id, meta: i.meta });
    return ok(sendMessage(ctx, "password_reset", to.email!, t));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value);
  return ok(null);
}

/** The user a reset token may still reset: active, at the secret version and address the token was issued for. */
function resetTarget(ctx: TenantCtx, t: OneTimeRow): UserRow | null {
  const user = t.user_id ? getUser(ctx.sql, t.user_id) : null;
  const bound = JSON.parse(t.data ?? "{}") as { ver?: number };
  return user && user.status === "active" && user.secret_version === bound.ver && user.email_norm === t.email ? user : null;
}

/** How many new passwords one reset token may have hashed for it (a retry after a race or a policy change). */
const HASHES_PER_RESET = 3;

/**
 * The cheap first call of `POST /password/reset`, before the router hashes the new password:
 * the token must be live and its user still resettable, and each token has a budget of
 * HASHES_PER_RESET hashes, reserved here, so one leaked token cannot buy 50 parallel hashes.
 * Answers the tenant's password policy and the account's identifiers (context words the new
 * password may not lean on); the token is not spent.
 */
export async function resetStart(rt: Runtime, i: { token: string }): Promise<Result<{ policy: PasswordPolicy; identifiers: string[] }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, (): Result<{ policy: PasswordPolicy; identifiers: string[] }> => {
    const t = peekOneTimeToken(ctx.sql, "password_reset", i.token, ctx.now);
    const user = t ? resetTarget(ctx, t) : null;
    if (!t || !user) return fail("invalid_token", RESET_INVALID);
    const g = rateLimit(ctx, `rl:reset:${t.hash}`, HASHES_PER_RESET, TTL_S.password_reset);
    if (!g.ok) return fail("rate_limited", undefined, { retryAfter: g.retryAfter ?? TTL_S.password_reset });
    return ok({ policy: passwordPolicy(ctx), identifiers: identifierWords(user.email, user.username) });
  });
  await rt.commit(ctx);
  return r;
}

const RESET_INVALID = "The reset token is invalid, expired or already used.";

export interface ResetPasswordInput {
  token: string;
  password: HashedPassword;
  meta: RequestMeta;
}

/**
 * `POST /password/reset`: sets the new password and rotates the user secret (every session
 * and token of the user dies, `user.revoked` is logged). The token is bound to the secret
 * version it was issued at, so one reset kills every other outstanding reset link. It also
 * proves the inbox (`email_verified`) and lifts a lockout. It does not sign in: MFA, if
 * enabled, still guards the next login. On an account whose email was not verified yet it is
 * a claim (claim.ts): everything set before goes, and the new password is the only credential.
 */
export async function resetPassword(rt: Runtime, i: ResetPasswordInput): Promise<Result<null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  // Before the token is spent, so that `stale_policy` (router rehashes and retries) and a too-short password leave it usable.
  const bad = checkNewPassword(ctx, i.password);
  if (bad) return bad;
  const invalid = () => fail("invalid_token", RESET_INVALID);
  const row = peekOneTimeToken(ctx.sql, "password_reset", i.token, ctx.now);
  const u0 = row?.user_id ? getUser(ctx.sql, row.user_id) : null;
  if (!row || !u0) return invalid();
  const next = await rt.newSecret(u0.id);
  const r = rt.tx(ctx, (): Result<number> => {
    const t = consumeOneTimeToken(ctx, "password_reset", i.token);
    const user = t && resetTarget(ctx, t);
    if (!user || user.id !== u0.id) return invalid();
    // The claim first: it removes the password that was there, then the prover's is set.
    const claimed = claimAccount(ctx, user, { via: "password_reset", sealedSecret: next.sealed, meta: i.meta });
    setCredential(ctx, user.id, i.password.hash, i.password.algorithm);
    const ver = claimed ?? rotateSecret(ctx, user, next.sealed, "password_reset");
    ctx.sql.exec("UPDATE users SET email_verified = 1 WHERE id = ?", user.id);
    clearLockout(ctx, user);
    audit(ctx, { type: "password.reset", userId: user.id, meta: i.meta, data: { ver, claimed: claimed !== null } });
    return ok(ver);
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  rt.rememberSecret(u0.id, r.value, next.bytes);
  return ok(null);
}

/**
 * `POST /email/verify/request` (Bearer): sends a verification token for the user's current
 * address, within `rate_limits.per_email`. Already verified: 202 and nothing is sent.
 */
export async function requestEmailVerification(rt: Runtime, i: { accessToken: string; meta: RequestMeta }): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<Message | null> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const { user } = p.value;
    if (!user.email_norm) return fail("invalid_request", "This account has no email address to verify.");
    if (user.email_verified === 1) return ok(null);
    const g = perEmail(ctx, user.email_norm);
    if (!g.ok) return g;
    return ok(queueEmailVerification(ctx, user));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value);
  return ok(null);
}

export const SIGN_IN_TO_VERIFY = "Sign in to the account this address belongs to, then open the link again.";

/**
 * `POST /email/verify`: a verification token proves an inbox, and it completes only together
 * with a live session of the same account (the request's bearer token). Without that, anyone
 * who creates an account with someone else's address could have its owner verify it for them
 * by clicking the message; the owner is asked to sign in instead, and a magic link or reset on
 * that unverified account is a claim (claim.ts). Refusals change nothing: the token stays usable.
 *
 * A token for the user's current address marks it verified. A token for the pending address of
 * a `PATCH /me` makes it the login and contact (verified), unless another account took it
 * meanwhile (`conflict`: a pending address is not reserved).
 */
export async function verifyEmail(rt: Runtime, i: { token: string; accessToken: string | null; cookieHash?: string | null; meta: RequestMeta }): Promise<Result<null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const claims = i.accessToken === null ? null : await rt.verifyAccess(ctx, i.accessToken);
  if (i.accessToken !== null && !claims) return fail("invalid_token");
  const r = rt.tx(ctx, (): Result<null> => {
    const t = peekOneTimeToken(ctx.sql, "email_verify", i.token, ctx.now);
    const user = t?.user_id ? getUser(ctx.sql, t.user_id) : null;
    // The pending address first: a change back to the current one still clears the pending row.
    const change = !!t?.email && user?.pending_email_norm === t.email;
    if (!t || !user || user.status !== "active" || !(change || user.email_norm === t.email)) return fail("invalid_token", "The verification token is invalid, expired or already used.");
    // The session is the bearer token's, or on the hosted pages the browser's sign-in (browser.ts).
    const browser = claims ? null : findBrowserSession(ctx, i.cookieHash ?? null);
    if (!claims && !browser) return fail("unauthorized", SIGN_IN_TO_VERIFY);
    const p = claims ? checkLive(ctx, claims) : ok(browser!);
    if (!p.ok) return p;
    if (p.value.user.id !== user.id) return fail("unauthorized", SIGN_IN_TO_VERIFY);
    if (change && identifierTaken(ctx.sql, { email_norm: t.email }, user.id)) return fail("conflict", "That email address now belongs to another account.");
    consumeOneTimeToken(ctx, "email_verify", i.token);
    if (change) {
      ctx.sql.exec(
        "UPDATE users SET email = pending_email, email_norm = pending_email_norm, pending_email = NULL, pending_email_norm = NULL, email_verified = 1, updated_at = ? WHERE id = ?",
        ctx.now, user.id,
      );
      syncDirectory(ctx, getUser(ctx.sql, user.id)!);
      audit(ctx, { type: "email.changed", userId: user.id, sessionId: p.value.session.id, meta: i.meta });
    } else if (user.email_verified !== 1) {
      ctx.sql.exec("UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", ctx.now, user.id);
    }
    audit(ctx, { type: "email.verified", userId: user.id, sessionId: p.value.session.id, meta: i.meta, data: { via: change ? "email_change" : "token" } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/** Operator: clears the user's lockout (the doubling delay and the hard limit). */
export async function unlockUser(rt: Runtime, i: { by: Operator; userId: string }): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const user = getUser(ctx.sql, i.userId);
    if (!user || user.status === "deleted") return fail("not_found", "No such user.");
    const cleared = clearLockout(ctx, user);
    audit(ctx, { type: "user.unlocked", userId: user.id, actor, data: { cleared } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}
