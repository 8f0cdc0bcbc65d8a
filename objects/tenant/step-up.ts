/**
 * @module Step-up: the one rule for "this change needs a recent authentication" (ASVS 5.0
 * V7.5.1, V7.5.2, V6.4). A bearer token alone proves only that someone holds it; changing what
 * protects the account (MFA, password, email, username), deleting it, or ending another of its
 * sessions needs more, so a stolen access token cannot take the account over for good.
 *
 * **What counts.** A request passes `requireRecentAuth` when either
 * - the session authenticated within `STEP_UP_WINDOW_S` (5 minutes): its `auth_time` is set at
 *   sign-in and by `POST /reauth`, never by a refresh. The check takes the earlier of the access
 *   token's `auth_time` claim and the session's, so a token issued before a step-up stays old,
 *   and a token minted with a later claim (by whoever holds an HS256 secret) gains nothing; or
 * - the request carries an inline proof that is a step-up method of the account (today the
 *   current password: `PATCH /me current_password`, `DELETE /me` and `DELETE /mfa/totp`
 *   `password`), checked by the router with `passwordProof` (src/routes/reauth.ts).
 * Otherwise the answer is 401 `reauth_required` with the account's `methods`: call
 * `POST /reauth`, then retry with the access token it returns.
 *
 * **Which factors step up** (`stepUpMethods`): an account with a confirmed TOTP, a TOTP code or a
 * recovery code (its password alone is not a full re-authentication of a two-factor account);
 * else an account with a password, the password; else (email only) a magic link sent to its
 * address (`POST /reauth/magic-link`); and, for any account with a passkey, a passkey assertion
 * (`POST /reauth/webauthn/options`, then `POST /reauth {webauthn}`), which stands in for the
 * magic link on an account that has no password.
 *
 * **Failures** count toward the account lockout exactly like a login: the router's
 * `credentialStart` reserves the attempt before the hash is verified, a right password clears
 * it, a wrong one is audited `login.failure` with `via` naming the route; codes go through
 * `proveSecondFactor`, the same check as `POST /login/mfa`.
 *
 * **Using it** from a flow, inside its transaction, instead of `checkLive`:
 *
 *     const p = requireRecentAuth(ctx, claims, { via: "passkey_add", meta: i.meta });
 *     if (!p.ok) return p; // 401 reauth_required, or invalid_credentials for a wrong inline password
 *
 * Routes that also take an inline password pass `{ password: proof }`, where `proof` comes
 * from `passwordProof(stub, token, password)` in the router. `POST /reauth` itself is
 * flows/reauth.ts; it ends with `markAuthenticated`.
 */
import { fail, ok, type Result } from "../../src/errors.ts";
import { accountKey, clearAttempts } from "./attempts.ts";
import { audit } from "./audit.ts";
import type { RequestMeta, TenantCtx } from "./context.ts";
import { getTotp, unusedRecoveryCodes } from "./mfa.ts";
import type { SessionRow } from "./sessions.ts";
import { checkLive, type AccessClaims, type Principal } from "./tokens.ts";
import { getCredential, type UserRow } from "./users.ts";
import { hasPasskeys } from "./passkeys/store.ts";

/**
 * A new password needs the current one whenever the account has one, however recent the
 * session (ASVS 5.0 V6.2.3); PATCH /me answers `invalid_request` with this.
 */
export const CURRENT_PASSWORD_NEEDED = "current_password is required to change the password.";

/** How long after an authentication a factor change is allowed without another one. */
export const STEP_UP_WINDOW_S = 5 * 60;

/** The ways an account can step up, as `reauth_required` lists them. */
export type StepUpMethod = "password" | "totp" | "recovery_code" | "magic_link" | "webauthn";

/** The `amr` value (RFC 8176 where it has one) a session gains for each method. */
export const AMR_OF: Record<StepUpMethod, string> = { password: "pwd", totp: "otp", recovery_code: "otp", magic_link: "email", webauthn: "pop" };

/** The router's verdict on a password sent with the request (`passwordProof` in src/routes/reauth.ts). */
export interface PasswordProof {
  ok: boolean;
  /** The user's secret version when the router read the hash it verified: a rotation since voids the proof. */
  secretVersion: number;
}

export interface StepUpInput {
  /** The current password sent with this request, or null/absent when none was. */
  password?: PasswordProof | null;
  /** Names the route in the audit of a failure (`patch_me`, `disable_mfa`, …). */
  via: string;
  meta: RequestMeta;
}

/** The strongest factors the account has; see the module comment. */
export function stepUpMethods(sql: SqlStorage, user: Pick<UserRow, "id" | "email_norm">): StepUpMethod[] {
  const passkey: StepUpMethod[] = hasPasskeys(sql, user.id) ? ["webauthn"] : [];
  if (getTotp(sql, user.id)?.confirmed_at != null) return [...(unusedRecoveryCodes(sql, user.id) > 0 ? ["totp", "recovery_code"] as const : ["totp"] as const), ...passkey];
  if (getCredential(sql, user.id)) return ["password", ...passkey];
  if (passkey.length) return passkey;
  return user.email_norm ? ["magic_link"] : [];
}

/** When the user last authenticated as both the token and the session say (ms): the earlier. */
export function authTimeOf(claims: AccessClaims, session: SessionRow): number {
  const claimed = typeof claims.auth_time === "number" ? claims.auth_time * 1000 : 0;
  return Math.min(claimed, session.auth_time);
}

/** True when the session and the token both say the user authenticated within the window. */
export function isRecent(ctx: TenantCtx, claims: AccessClaims, session: SessionRow): boolean {
  return ctx.now - authTimeOf(claims, session) <= STEP_UP_WINDOW_S * 1000;
}

/**
 * Inside the transaction: the password the router verified counts only if it was right and
 * checked against the secret version still current. Right: the attempt `credentialStart`
 * reserved is cleared. Wrong: audited as a failed login, 401 `invalid_credentials`.
 */
export function checkPassword(ctx: TenantCtx, p: Principal, proof: PasswordProof, via: string, meta: RequestMeta): Result<void> {
  const { user, session } = p;
  if (!proof.ok || user.secret_version !== proof.secretVersion) {
    audit(ctx, { type: "login.failure", userId: user.id, sessionId: session.id, meta, data: { via } });
    return fail("invalid_credentials");
  }
  clearAttempts(ctx, accountKey(user.id));
  return ok(undefined);
}

/** 401 `reauth_required`, listing how this account steps up. */
export const reauthRequired = (methods: StepUpMethod[]) => fail("reauth_required", undefined, { extra: { methods } });

/**
 * The step-up primitive: `checkLive`, then a recent authentication or an inline proof that is
 * one of the account's step-up methods. Synchronous, for the caller's transaction.
 */
export function requireRecentAuth(ctx: TenantCtx, claims: AccessClaims, i: StepUpInput): Result<Principal> {
  const p = checkLive(ctx, claims);
  if (!p.ok) return p;
  if (i.password) {
    const c = checkPassword(ctx, p.value, i.password, i.via, i.meta);
    if (!c.ok) return c;
  }
  if (isRecent(ctx, claims, p.value.session)) return p;
  const methods = stepUpMethods(ctx.sql, p.value.user);
  if (i.password && methods.includes("password")) return p;
  return reauthRequired(methods);
}

/** After a successful step-up: the session's `auth_time` is now and its `amr` gains the method's. */
export function markAuthenticated(ctx: TenantCtx, session: SessionRow, method: StepUpMethod, more: string[] = []): SessionRow {
  const amr = [...new Set([...(JSON.parse(session.amr) as string[]), AMR_OF[method], ...more])];
  ctx.sql.exec("UPDATE sessions SET auth_time = ?, amr = ? WHERE id = ?", ctx.now, JSON.stringify(amr), session.id);
  return { ...session, auth_time: ctx.now, amr: JSON.stringify(amr) };
}
