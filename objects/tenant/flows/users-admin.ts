/**
 * @module Operator flows on one tenant's users: search, inspect (sessions, MFA
 * state, passkeys, roles; never secrets or hashes), edit, disable and enable, delete, revoke everything,
 * force a password reset, reset MFA. Open to the admin and to the tenant's `manage` keys (operator.ts).
 * Whatever ends a user's tokens rotates the user secret, exactly as the user's own flows do.
 */
import { iso } from "../../../src/clock.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { appendEvent } from "../events.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { deleteMfa, getTotp, unusedRecoveryCodes } from "../mfa.ts";
import { identitiesOf, toPublicIdentity, type PublicIdentity } from "../idp/identities.ts";
import { beginAs, type Operator } from "../operator.ts";
import type { Runtime } from "../runtime.ts";
import { getSession, revokeAllSessions, revokeSession, toPublicSession, type PublicSession, type SessionRow } from "../sessions.ts";
import { all, one } from "../sql.ts";
import { getUser, identifierTaken, mfaEnabled, rolesOf, rotateSecret, syncDirectory, toPublicUser, type PublicUser, type UserRow } from "../users.ts";
import { softDeleteUser } from "./me.ts";
import { passkeysOf } from "./passkeys.ts";
import type { PublicPasskey } from "../passkeys/store.ts";
import { grantsBySession, type PublicGrant } from "../oauth/grants.ts";

/** The highest code point: `prefix + MAX_CHAR` bounds every string that starts with `prefix`. */
const MAX_CHAR = "\u{10FFFF}";
/** Sessions shown with a user, newest first (a user who signs in often keeps many until the trim). */
const SESSIONS_SHOWN = 100;

const noSuchUser = () => fail("not_found", "No such user.");

/** A user an operator can still act on: a soft-deleted user is gone for everything but GET. */
function liveUser(sql: SqlStorage, id: string): UserRow | null {
  const u = getUser(sql, id);
  return u && u.status !== "deleted" ? u : null;
}

export interface ListUsersInput {
  by: Operator;
  /** Normalised (NFKC, lower-case) prefix of the email or the username; null lists everyone. */
  query: string | null;
  cursor: string | null;
  limit: number;
}

/** Ordered by id (UUIDv7, so by creation). Soft-deleted users are not listed (their identifiers are already freed). */
export async function listUsers(rt: Runtime, i: ListUsersInput): Promise<Result<{ users: PublicUser[]; next_cursor: string | null }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx } = b.value;
  const after = i.cursor ?? "";
  const q = i.query;
  // Two range scans on the unique indexes, not a LIKE over the table.
  const rows = q
    ? all<UserRow>(
        ctx.sql,
        `SELECT * FROM users WHERE id IN (
           SELECT id FROM users WHERE email_norm >= ? AND email_norm < ?
           UNION SELECT id FROM users WHERE username_norm >= ? AND username_norm < ?)
         AND id > ? ORDER BY id LIMIT ?`,
        q, q + MAX_CHAR, q, q + MAX_CHAR, after, i.limit + 1,
      )
    : all<UserRow>(ctx.sql, "SELECT * FROM users WHERE status != 'deleted' AND id > ? ORDER BY id LIMIT ?", after, i.limit + 1);
  const page = rows.slice(0, i.limit);
  return ok({ users: page.map((u) => toPublicUser(ctx.sql, u)), next_cursor: rows.length > i.limit ? page[page.length - 1].id : null });
}

export interface AdminSession extends Omit<PublicSession, "current"> {
  revoked_at: string | null;
  revoke_reason: string | null;
  /** The live OAuth grants held under the session. */
  grants: PublicGrant[];
}

/** The user's own view of a session, without what only that user's request knows, plus how it ended. */
function toAdminSession(s: SessionRow, grants: PublicGrant[], online: boolean): AdminSession {
  const { current: _current, ...own } = toPublicSession(s, null, online);
  return { ...own, revoked_at: iso(s.revoked_at), revoke_reason: s.revoke_reason, grants };
}

export interface UserDetail {
  user: PublicUser;
  sessions: AdminSession[];
  mfa: { totp: boolean; recovery_codes_remaining: number };
  passkeys: PublicPasskey[];
  roles: string[];
  /** Linked upstream identities. */
  identities: PublicIdentity[];
}

/** One user with its sessions (live and revoked ones not yet trimmed, newest first), MFA state and roles. */
export async function getUserDetail(rt: Runtime, i: { by: Operator; id: string }): Promise<Result<UserDetail>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx } = b.value;
  const u = getUser(ctx.sql, i.id);
  if (!u) return noSuchUser();
  const sessions = all<SessionRow>(ctx.sql, "SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT ?", u.id, SESSIONS_SHOWN);
  const codes = one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", u.id)!.n;
  const grants = grantsBySession(ctx.sql, sessions.map((s) => s.id));
  return ok({
    user: toPublicUser(ctx.sql, u),
    sessions: sessions.map((s) => toAdminSession(s, grants.get(s.id) ?? [], s.revoked_at === null && rt.isOnline(s.id))),
    mfa: { totp: mfaEnabled(ctx.sql, u.id), recovery_codes_remaining: codes },
    passkeys: passkeysOf(ctx.sql, u.id),
    roles: rolesOf(ctx.sql, u.id).roles,
    identities: identitiesOf(ctx.sql, u.id).map(toPublicIdentity),
  });
}

export interface UpdateUserInput {
  by: Operator;
  id: string;
  status?: "active" | "disabled";
  email?: { raw: string; norm: string };
  username?: { raw: string; norm: string };
  email_verified?: boolean;
  metadata?: Record<string, unknown>;
  meta: RequestMeta;
}

/**
 * PATCH by an operator. Disabling, or changing the email or username (their normalised form),
 * rotates the secret once: every session and token of the user ends (`user.disabled` or
 * `user.revoked`). A new email is unverified unless `email_verified` says otherwise. Enabling
 * does not restore the sessions that disabling ended.
 */
export async function updateUser(rt: Runtime, i: UpdateUserInput): Promise<Result<{ user: PublicUser }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  if (!liveUser(ctx.sql, i.id)) return noSuchUser();
  const next = i.status === "disabled" || i.email || i.username ? await rt.newSecret(i.id) : null;
  const r = rt.tx(ctx, (): Result<{ user: PublicUser; ver: number | null }> => {
    const user = liveUser(ctx.sql, i.id);
    if (!user) return noSuchUser();
    const email = i.email && i.email.norm !== user.email_norm ? i.email : null;
    const username = i.username && i.username.norm !== user.username_norm ? i.username : null;
    if (identifierTaken(ctx.sql, { email_norm: email?.norm, username_norm: username?.norm }, user.id)) return fail("conflict", "That email or username is already taken.");
    const disable = i.status === "disabled" && user.status === "active";
    const enable = i.status === "active" && user.status === "disabled";
    const verified = i.email_verified ?? (email ? false : undefined);
    const sets: string[] = [];
    const args: SqlStorageValue[] = [];
    // Operators are trusted: the address changes at once, and replaces any change the user left pending.
    if (i.email) sets.push("email = ?", "email_norm = ?", "pending_email = NULL", "pending_email_norm = NULL"), args.push(i.email.raw, i.email.norm);
    if (i.username) sets.push("username = ?", "username_norm = ?"), args.push(i.username.raw, i.username.norm);
    if (verified !== undefined) sets.push("email_verified = ?"), args.push(verified ? 1 : 0);
    if (i.metadata) sets.push("metadata = ?"), args.push(JSON.stringify(i.metadata));
    if (disable || enable) sets.push("status = ?"), args.push(i.status!);
    if (sets.length) ctx.sql.exec(`UPDATE users SET ${sets.join(", ")}, updated_at = ? WHERE id = ?`, ...args, ctx.now, user.id);

    let ver: number | null = null;
    if (disable) ver = rotateSecret(ctx, user, next!.sealed, "user_disabled", { eventType: "user.disabled" });
    else if (email || username) ver = rotateSecret(ctx, user, next!.sealed, "credential_change");
    const base = { userId: user.id, actor, meta: i.meta };
    if (disable) audit(ctx, { ...base, type: "user.disabled" });
    if (enable) audit(ctx, { ...base, type: "user.enabled" });
    if (email || username) audit(ctx, { ...base, type: "credential.change", data: { email: !!email, username: !!username } });
    const other = [
      ...(i.email && !email ? ["email"] : []),
      ...(i.username && !username ? ["username"] : []),
      ...(i.email_verified !== undefined ? ["email_verified"] : []),
      ...(i.metadata ? ["metadata"] : []),
    ];
    if (other.length) audit(ctx, { ...base, type: "user.updated", data: { fields: other } });

    const fresh = getUser(ctx.sql, user.id)!;
    if (disable || enable || email || username) syncDirectory(ctx, fresh);
    return ok({ user: toPublicUser(ctx.sql, fresh), ver });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  if (r.value.ver !== null) rt.rememberSecret(i.id, r.value.ver, next!.bytes);
  return ok({ user: r.value.user });
}

export interface UserActionInput {
  by: Operator;
  id: string;
  meta: RequestMeta;
}

/** Every one-user action below: find the live user, then one transaction with a fresh secret ready. */
async function rotating(rt: Runtime, i: UserActionInput, act: (ctx: TenantCtx, user: UserRow, sealed: string, actor: string) => void): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  if (!liveUser(ctx.sql, i.id)) return noSuchUser();
  const next = await rt.newSecret(i.id);
  const r = rt.tx(ctx, (): Result<null> => {
    const user = liveUser(ctx.sql, i.id);
    if (!user) return noSuchUser();
    act(ctx, user, next.sealed, actor);
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/** Soft delete, as DELETE /me: every token dies, identifiers are freed, purged after retention. */
export function deleteUser(rt: Runtime, i: UserActionInput): Promise<Result<null>> {
  return rotating(rt, i, (ctx, user, sealed, actor) => {
    softDeleteUser(ctx, user, sealed, "admin_deleted");
    audit(ctx, { type: "user.deleted", userId: user.id, actor, meta: i.meta, data: { by: "operator" } });
  });
}

/**
 * Ends one session of the user (`session.revoked`, with its event to the subscribers), as the
 * user's own `DELETE /sessions/{id}` does; the user's other sessions and tokens live on.
 */
export async function revokeUserSession(rt: Runtime, i: UserActionInput & { sessionId: string }): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<null> => {
    if (!liveUser(ctx.sql, i.id)) return noSuchUser();
    const s = getSession(ctx.sql, i.sessionId);
    if (!s || s.user_id !== i.id || s.revoked_at !== null) return fail("not_found", "No such session.");
    revokeSession(ctx, s, "admin_revoked");
    audit(ctx, { type: "session.revoked", userId: i.id, sessionId: s.id, actor, meta: i.meta, data: { by: "operator" } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/** Ends every session and token of the user (`user.revoked`); the account stays usable. */
export function revokeUser(rt: Runtime, i: UserActionInput): Promise<Result<null>> {
  return rotating(rt, i, (ctx, user, sealed, actor) => {
    rotateSecret(ctx, user, sealed, "admin_revoked");
    audit(ctx, { type: "user.revoked", userId: user.id, actor, meta: i.meta });
  });
}

/**
 * Signs every user of the tenant out (ASVS 5.0 V7.4.5): every live session, its refresh token
 * and the OAuth grants it carries end in one transaction, and one `tenant.revoked` event tells
 * the subscribers that every user token issued up to now is dead; each user subscriber is
 * closed with 4001 after it. Accounts, passwords and factors stay: anyone may sign in again at
 * once. Machine grants (`client_credentials`) are not sessions and live on. Audited
 * `tenant.revoked` with the count.
 */
export async function revokeAllUserSessions(rt: Runtime, i: { by: Operator; meta: RequestMeta }): Promise<Result<{ sessions: number }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const sessions = rt.tx(ctx, () => {
    const n = revokeAllSessions(ctx, "admin_revoked");
    appendEvent(ctx, "tenant.revoked", { sub: ctx.slug, reason: "admin_revoked" });
    audit(ctx, { type: "tenant.revoked", actor, meta: i.meta, data: { sessions: n } });
    return n;
  });
  await rt.commit(ctx);
  return ok({ sessions });
}

/**
 * Forces a password reset: ends every session and removes the password, so the user cannot
 * sign in with it again and has to choose a new one through `POST /password/forgot`
 * (magic links keep working). Nothing is sent to the user here.
 */
export function forcePasswordReset(rt: Runtime, i: UserActionInput): Promise<Result<null>> {
  return rotating(rt, i, (ctx, user, sealed, actor) => {
    rotateSecret(ctx, user, sealed, "password_reset");
    ctx.sql.exec("DELETE FROM credentials WHERE user_id = ?", user.id);
    audit(ctx, { type: "password.reset_requested", userId: user.id, actor, meta: i.meta, data: { forced: true } });
  });
}

/**
 * Resets MFA, for a user who lost their factor (ASVS 5.0 V6.4.4: the operator does the identity
 * proofing): removes the TOTP factor and every recovery code, and ends every session, so
 * whoever enrolled a factor with a stolen token loses the session too. The user signs in with
 * the first factor alone and may enroll again. Audited `mfa.reset` with what was removed.
 */
export function resetMfa(rt: Runtime, i: UserActionInput): Promise<Result<null>> {
  return rotating(rt, i, (ctx, user, sealed, actor) => {
    const removed = { totp: getTotp(ctx.sql, user.id) !== null, recovery_codes: unusedRecoveryCodes(ctx.sql, user.id) };
    deleteMfa(ctx, user.id);
    rotateSecret(ctx, user, sealed, "mfa_reset");
    audit(ctx, { type: "mfa.reset", userId: user.id, actor, meta: i.meta, data: removed });
  });
}
