/**
 * @module The signed-in user: profile, credential changes (which rotate the user secret and
 * end every other session), soft deletion, and their own sessions. Changes and deletion, and
 * ending another session, need a recent authentication (`requireRecentAuth`, step-up.ts).
 */
import { deleteUserPasskeys } from "../passkeys/store.ts";
import { beginWithToken } from "../bearer.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { accountKey, clearAttempts, lockedOut, reserveAttempt } from "../attempts.ts";
import { audit } from "../audit.ts";
import { checkNewPassword, passwordPolicy, type HashedPassword, type PasswordPolicy } from "../password-rules.ts";
import { identifierWords } from "../../../src/crypto/password-policy.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { getSession, listLiveSessions, replaceRefreshToken, revokeSession, toPublicSession, type PublicSession } from "../sessions.ts";
import { CURRENT_PASSWORD_NEEDED, requireRecentAuth, type StepUpInput } from "../step-up.ts";
import { buildClaims, checkLive } from "../tokens.ts";
import { getCredential, getUser, identifierTaken, rotateSecret, setCredential, syncDirectory, toPublicUser, type PublicUser } from "../users.ts";
import { due, type RequestMeta } from "../context.ts";
import { grantsBySession, type PublicGrant } from "../oauth/grants.ts";
import { logMessage, queueEmailChange, type Message } from "../messages.ts";
import { perEmail } from "./account.ts";

export async function getMe(rt: Runtime, i: { accessToken: string }): Promise<Result<PublicUser>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const p = checkLive(ctx, claims);
  return p.ok ? ok(toPublicUser(ctx.sql, p.value.user)) : p;
}

/**
 * For routes that re-check the password: the stored hash and the version it belongs to. The
 * check is an attempt on the account like a login (counted before the Worker verifies, cleared
 * on success), so a stolen access token cannot guess the password past the lockout.
 * `reserve: false` only asks whether the account has a password (nothing is verified).
 */
export async function credentialStart(rt: Runtime, i: { accessToken: string; reserve?: boolean }): Promise<Result<CredentialStart>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<CredentialStart> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const lock = i.reserve === false ? { ok: true as const } : reserveAttempt(ctx, accountKey(p.value.user.id));
    if (!lock.ok) return lockedOut(lock);
    const user = p.value.user;
    return ok({
      userId: user.id,
      hash: getCredential(ctx.sql, user.id)?.hash ?? null,
      secretVersion: user.secret_version,
      policy: passwordPolicy(ctx),
      identifiers: identifierWords(user.email, user.username),
    });
  });
  await rt.commit(ctx);
  return r;
}

export interface CredentialStart {
  userId: string;
  hash: string | null;
  secretVersion: number;
  /** For a new password: the tenant's policy, and the account's identifiers as context words. */
  policy: PasswordPolicy;
  identifiers: string[];
}

export interface UpdateMeInput extends StepUpInput {
  accessToken: string;
  newPassword: HashedPassword | null;
  newUsername: { raw: string; norm: string } | null;
  newEmail: { raw: string; norm: string } | null;
  metadata: Record<string, unknown> | null;
}

/**
 * PATCH /me. A credential change (password, username or email) rotates the secret and ends
 * every other session; this session continues with a new refresh token keyed to the new secret.
 * A new email only becomes pending (`pending_email`): a link goes to it (`email_change`), and
 * the current address stays the login and the contact until that link is used with a session
 * of this account (`POST /email/verify`); a second change replaces the pending one. Otherwise
 * anyone could put someone else's address on their account and wait for its owner's magic link.
 * Any change needs a recent authentication or the current password; a new password needs the
 * current one whenever the account has one (ASVS 5.0 V6.2.3), however recent the session.
 */
export async function updateMe(rt: Runtime, i: UpdateMeInput): Promise<Result<TokenResponse>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const bad = i.newPassword && checkNewPassword(ctx, i.newPassword);
  if (bad) {
    // The current password was right: the attempt credentialStart reserved is not a failure.
    if (i.password?.ok && bad.error.code === "password_policy") {
      rt.tx(ctx, () => clearAttempts(ctx, accountKey(claims.sub)));
      await rt.commit(ctx);
    }
    return bad;
  }
  const next = await rt.newSecret(claims.sub);
  const u0 = getUser(ctx.sql, claims.sub);
  if (!u0) return fail("invalid_token");
  const current = await rt.userSecret(u0);
  const r = rt.tx(ctx, (): Result<Issued & { ver: number; message: Message | null }> => {
    // Versions only grow, so the one the router read being current means u0's is too, and
    // `current` is this user's secret.
    const p = requireRecentAuth(ctx, claims, { ...i, via: "patch_me" });
    if (!p.ok) return p;
    const { user, session } = p.value;
    if (i.newPassword && !i.password && getCredential(ctx.sql, user.id)) return fail("invalid_request", CURRENT_PASSWORD_NEEDED);
    if (identifierTaken(ctx.sql, { email_norm: i.newEmail?.norm, username_norm: i.newUsername?.norm }, user.id)) return fail("conflict", "That email or username is already taken.");
    if (i.newEmail) {
      const g = perEmail(ctx, i.newEmail.norm);
      if (!g.ok) return g;
    }
    const sets: string[] = [];
    const args: SqlStorageValue[] = [];
    if (i.newEmail) sets.push("pending_email = ?", "pending_email_norm = ?"), args.push(i.newEmail.raw, i.newEmail.norm);
    if (i.newUsername) sets.push("username = ?", "username_norm = ?"), args.push(i.newUsername.raw, i.newUsername.norm);
    if (i.metadata) sets.push("metadata = ?"), args.push(JSON.stringify(i.metadata));
    if (sets.length) ctx.sql.exec(`UPDATE users SET ${sets.join(", ")}, updated_at = ? WHERE id = ?`, ...args, ctx.now, user.id);
    if (i.newPassword) setCredential(ctx, user.id, i.newPassword.hash, i.newPassword.algorithm);
    let ver = user.secret_version;
    let secret = current;
    if (i.newPassword || i.newEmail || i.newUsername) {
      ver = rotateSecret(ctx, user, next.sealed, "credential_change", { keepSessionId: session.id });
      secret = next.bytes;
      audit(ctx, { type: "credential.change", userId: user.id, sessionId: session.id, meta: i.meta, data: { password: !!i.newPassword, pending_email: !!i.newEmail, username: !!i.newUsername } });
    } else {
      audit(ctx, { type: "user.updated", userId: user.id, sessionId: session.id, meta: i.meta, data: { metadata: true } });
    }
    const message = i.newEmail ? queueEmailChange(ctx, user.id, i.newEmail) : null;
    const fresh = getUser(ctx.sql, user.id)!;
    if (i.newUsername) syncDirectory(ctx, fresh);
    // This session keeps going: its old refresh tokens give way to one keyed to the current secret.
    const refreshToken = replaceRefreshToken(ctx, session.id, secret);
    return ok({ claims: buildClaims(ctx, fresh, session), refreshToken, user: toPublicUser(ctx.sql, fresh), secret, ver, message });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value.message);
  rt.rememberSecret(claims.sub, r.value.ver, r.value.secret);
  return ok(await rt.respond(ctx, r.value));
}

export interface DeleteMeInput extends StepUpInput {
  accessToken: string;
}

/** Soft delete: the user can no longer sign in, every token dies, identifiers are freed; purged after retention. */
export async function deleteMe(rt: Runtime, i: DeleteMeInput): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const next = await rt.newSecret(claims.sub);
  const r = rt.tx(ctx, (): Result<null> => {
    const p = requireRecentAuth(ctx, claims, { ...i, via: "delete_me" });
    if (!p.ok) return p;
    const { user } = p.value;
    softDeleteUser(ctx, user, next.sealed, "user_deleted");
    audit(ctx, { type: "user.deleted", userId: user.id, meta: i.meta, data: { by: "self" } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/** Shared by self-service and admin deletion. */
export function softDeleteUser(ctx: Parameters<typeof rotateSecret>[0], user: Parameters<typeof rotateSecret>[1], sealedSecret: string, reason: string): void {
  rotateSecret(ctx, user, sealedSecret, reason, { eventType: "user.deleted" });
  ctx.sql.exec(
    "UPDATE users SET status = 'deleted', deleted_at = ?, email_norm = NULL, username_norm = NULL, updated_at = ? WHERE id = ?",
    ctx.now, ctx.now, user.id,
  );
  ctx.sql.exec("DELETE FROM credentials WHERE user_id = ?", user.id);
  // A deleted account signs in with nothing, and its credential ids may be registered again (L3 section 7.1 step 27).
  deleteUserPasskeys(ctx, user.id);
  syncDirectory(ctx, { id: user.id, email_norm: user.email_norm, username_norm: user.username_norm, status: "deleted" });
  due(ctx, ctx.now + ctx.settings.retention.deleted_users_days * 86_400_000);
}

/** Each live session with the OAuth grants it holds (the apps signed in under it). */
export async function listSessions(rt: Runtime, i: { accessToken: string }): Promise<Result<{ sessions: (PublicSession & { grants: PublicGrant[] })[] }>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const p = checkLive(ctx, claims);
  if (!p.ok) return p;
  const live = listLiveSessions(ctx.sql, claims.sub, ctx.now);
  const grants = grantsBySession(ctx.sql, live.map((s) => s.id));
  // A first-party client's token names its grant as `sid`; its session is the current one.
  return ok({ sessions: live.map((s) => ({ ...toPublicSession(s, p.value.session.id, rt.isOnline(s.id)), grants: grants.get(s.id) ?? [] })) });
}

/** Ending the current session is free (it is a logout); ending another one needs a recent authentication (ASVS 5.0 V7.5.2). */
export async function revokeOwnSession(rt: Runtime, i: { accessToken: string; sessionId: string; meta: RequestMeta }): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const p = i.sessionId === claims.sid ? checkLive(ctx, claims) : requireRecentAuth(ctx, claims, { via: "revoke_session", meta: i.meta });
    if (!p.ok) return p;
    const s = getSession(ctx.sql, i.sessionId);
    if (!s || s.user_id !== claims.sub || s.revoked_at !== null) return fail("not_found", "No such session.");
    revokeSession(ctx, s, "user_revoked");
    audit(ctx, { type: "session.revoked", userId: claims.sub, sessionId: s.id, data: { by: claims.sid } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

