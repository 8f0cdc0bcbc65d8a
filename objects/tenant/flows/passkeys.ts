/**
 * @module A signed-in user's passkeys: registering one (WebAuthn L3 section 7.1) and managing
 * them, plus the operator's removal. Adding and removing need a recent authentication
 * (`requireRecentAuth`, step-up.ts), so a stolen access token can neither plant a passkey nor
 * take the owner's away. Removing a passkey ends the sessions it signed in
 * (`session.revoked`, reason `credential_removed`) and no others; the user cannot remove
 * their last way to sign in (ways-in.ts).
 */
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { fail, ok, type Result } from "../../../src/errors.ts";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { audit } from "../audit.ts";
import { beginWithToken } from "../bearer.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { beginAs, type Operator } from "../operator.ts";
import { consumeOneTimeToken, peekOneTimeToken } from "../one-time.ts";
import { newChallenge, optionsGate } from "../passkeys/assertion.ts";
import { ceremonyError, readClientData, registrationOptions, verifyRegistration } from "../passkeys/ceremony.ts";
import { rpOf } from "../passkeys/rp.ts";
import { deletePasskey, findByCredentialId, getPasskey, insertPasskey, listPasskeys, renamePasskey, toPublicPasskey, userHandle, type PasskeyRow, type PublicPasskey } from "../passkeys/store.ts";
import type { Runtime } from "../runtime.ts";
import { all } from "../sql.ts";
import { revokeSession, type SessionRow } from "../sessions.ts";
import { checkLive } from "../tokens.ts";
import { beginCaller, live, recent, type Who } from "../passkeys/caller.ts";
import { getUser } from "../users.ts";
import { waysInWithout } from "../ways-in.ts";

const noSuchPasskey = () => fail("not_found", "No such passkey.");

/**
 * `POST /passkeys/register/options`: creation options with the user's handle and
 * `excludeCredentials`. `onlyIfNone` (the pages' offer after a password sign-in): null when
 * the user has a passkey already.
 */
/**
 * WebAuthn L3 section 5.11.1: the document the RP ID's host serves at `/.well-known/webauthn`,
 * naming the origins (related ones included) that may use this RP ID. Browsers fetch it from
 * the RP ID's own host, so an operator whose RP ID is another host serves this there.
 */
export async function webauthnDocument(rt: Runtime): Promise<Result<{ origins: string[] }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const rp = rpOf(b.value);
  if (!rp.ok) return fail("not_found", "Passkeys are not enabled for this tenant.");
  return ok({ origins: rp.value.origins });
}

export async function registerOptions(rt: Runtime, i: { who: Who; meta: RequestMeta; onlyIfNone?: boolean }): Promise<Result<PublicKeyCredentialCreationOptionsJSON | null>> {
  const a = await beginCaller(rt, i.who);
  if (!a.ok) return a;
  const { ctx, caller } = a.value;
  const rp = rpOf(ctx);
  if (!rp.ok) return rp;
  const r = rt.tx(ctx, (): Result<{ challenge: string; handle: string; label: string; exclude: PasskeyRow[] } | null> => {
    const p = recent(ctx, caller, "passkey_add", i.meta);
    if (!p.ok) return p;
    if (i.onlyIfNone && listPasskeys(ctx.sql, p.value.user.id).length) return ok(null);
    const g = optionsGate(ctx, i.meta);
    if (!g.ok) return g;
    const { user, session } = p.value;
    const handle = userHandle(ctx, user.id);
    const challenge = newChallenge(ctx, "webauthn_register", user.id, { sid: session.id });
    const label = user.email ?? user.username ?? user.id;
    return ok({ challenge, handle, label, exclude: listPasskeys(ctx.sql, user.id) });
  });
  await rt.commit(ctx);
  if (!r.ok || !r.value) return r as Result<null>;
  const v = r.value;
  return ok(await registrationOptions(rp.value, { handle: v.handle, name: v.label, displayName: v.label }, v.challenge, v.exclude, "preferred"));
}

export interface RegisterVerifyInput {
  who: Who;
  response: RegistrationResponseJSON;
  name: string | null;
  meta: RequestMeta;
}

/** `POST /passkeys/register/verify`: the new passkey. A credential id registered to anyone already is refused (L3 section 7.1 step 27). */
export async function registerVerify(rt: Runtime, i: RegisterVerifyInput): Promise<Result<PublicPasskey>> {
  const a = await beginCaller(rt, i.who);
  if (!a.ok) return a;
  const { ctx, caller } = a.value;
  const rp = rpOf(ctx);
  if (!rp.ok) return rp;
  // Read-only first, so a stale session learns `reauth_required` before any cryptography.
  const early = recent(ctx, caller, "passkey_add", i.meta);
  if (!early.ok) return early;
  const { user: u0, session: s0 } = early.value;
  const cd = readClientData(i.response.response.clientDataJSON, "webauthn.create", rp.value);
  if (!cd.ok) return ceremonyError(cd.reason, cd.detail);
  const token = cd.value.challenge;
  const ch = peekOneTimeToken(ctx.sql, "webauthn_register", token, ctx.now);
  if (!ch || ch.user_id !== u0.id || (JSON.parse(ch.data ?? "{}") as { sid?: string }).sid !== s0.id) return ceremonyError("challenge");
  const v = await verifyRegistration(rp.value, i.response, token);
  const r = rt.tx(ctx, (): Result<PasskeyRow> => {
    const p = recent(ctx, caller, "passkey_add", i.meta);
    if (!p.ok) return p;
    if (p.value.session.id !== s0.id) return ceremonyError("challenge");
    if (!consumeOneTimeToken(ctx, "webauthn_register", token)) return ceremonyError("challenge");
    if (!v.ok) return ceremonyError(v.reason, v.detail);
    if (findByCredentialId(ctx.sql, v.value.credentialId)) return ceremonyError("duplicate");
    const row = insertPasskey(ctx, p.value.user.id, v.value, i.name);
    audit(ctx, { type: "passkey.added", userId: row.user_id, sessionId: s0.id, meta: i.meta, data: { passkey: row.id, aaguid: row.aaguid, user_verified: v.value.userVerified } });
    return ok(row);
  });
  await rt.commit(ctx);
  return r.ok ? ok(toPublicPasskey(r.value)) : r;
}

/** The caller's passkeys; `who` names the user for the pages' heading. */
export async function listOwnPasskeys(rt: Runtime, i: { who: Who }): Promise<Result<{ passkeys: PublicPasskey[]; who: string }>> {
  const a = await beginCaller(rt, i.who);
  if (!a.ok) return a;
  const { ctx, caller } = a.value;
  const p = live(ctx, caller);
  if (!p.ok) return p;
  const u = p.value.user;
  return ok({ passkeys: listPasskeys(ctx.sql, u.id).map(toPublicPasskey), who: u.email ?? u.username ?? u.id });
}

/** `PATCH /passkeys/{id} {name}`: a label only, so no step-up. */
export async function renameOwnPasskey(rt: Runtime, i: { accessToken: string; id: string; name: string; meta: RequestMeta }): Promise<Result<PublicPasskey>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<PasskeyRow> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const pk = getPasskey(ctx.sql, i.id);
    if (!pk || pk.user_id !== claims.sub) return noSuchPasskey();
    renamePasskey(ctx, pk.id, i.name);
    audit(ctx, { type: "passkey.renamed", userId: claims.sub, sessionId: claims.sid, meta: i.meta, data: { passkey: pk.id } });
    return ok({ ...pk, name: i.name });
  });
  await rt.commit(ctx);
  return r.ok ? ok(toPublicPasskey(r.value)) : r;
}

/** Removes the passkey and ends every live session it signed in; returns how many ended. */
function removePasskey(ctx: TenantCtx, pk: PasskeyRow): number {
  deletePasskey(ctx, pk.id);
  const sessions = all<SessionRow>(ctx.sql, "SELECT * FROM sessions WHERE passkey_id = ? AND revoked_at IS NULL", pk.id);
  let ended = 0;
  for (const s of sessions) if (revokeSession(ctx, s, "credential_removed")) ended++;
  return ended;
}

/** `DELETE /passkeys/{id}`: needs a recent authentication; refused for the account's last way in. */
export async function deleteOwnPasskey(rt: Runtime, i: { who: Who; id: string; meta: RequestMeta }): Promise<Result<null>> {
  const a = await beginCaller(rt, i.who);
  if (!a.ok) return a;
  const { ctx, caller } = a.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const p = recent(ctx, caller, "passkey_remove", i.meta);
    if (!p.ok) return p;
    const { user, session } = p.value;
    const pk = getPasskey(ctx.sql, i.id);
    if (!pk || pk.user_id !== user.id) return noSuchPasskey();
    if (waysInWithout(ctx, user, { passkey: pk.id }) === 0) {
      return fail("conflict", "This passkey is the account's last way to sign in; add a password or another passkey, or verify the email address, first.");
    }
    const sessions = removePasskey(ctx, pk);
    audit(ctx, { type: "passkey.removed", userId: user.id, sessionId: session.id, meta: i.meta, data: { passkey: pk.id, sessions, by: "self" } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/** The passkeys an operator sees with a user (users-admin.ts `getUserDetail`). */
export const passkeysOf = (sql: SqlStorage, userId: string): PublicPasskey[] => listPasskeys(sql, userId).map(toPublicPasskey);

/**
 * `DELETE /users/{id}/passkeys/{passkey}` for operators: removes it and ends the sessions it
 * signed in, even when it was the user's last way in (the operator recovers the account
 * with them: a password reset, a verified email). Audited with the actor.
 */
export async function operatorDeletePasskey(rt: Runtime, i: { by: Operator; userId: string; id: string; meta: RequestMeta }): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const user = getUser(ctx.sql, i.userId);
    if (!user || user.status === "deleted") return fail("not_found", "No such user.");
    const pk = getPasskey(ctx.sql, i.id);
    if (!pk || pk.user_id !== user.id) return noSuchPasskey();
    const sessions = removePasskey(ctx, pk);
    audit(ctx, { type: "passkey.removed", userId: user.id, actor, meta: i.meta, data: { passkey: pk.id, sessions, by: "operator" } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}
