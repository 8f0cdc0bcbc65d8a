/**
 * @module Operator routes for one tenant's users: search by email or username
 * prefix, show (sessions, MFA state, passkeys, roles), PATCH, delete, revoke everything, force a
 * password reset, reset MFA, remove a passkey; and sign every user of the tenant out. Mounted for the admin and for manage keys (operator.ts).
 */
import { Hono } from "hono";
import type { z } from "zod";
import { AuthError, unwrap } from "../../errors.ts";
import { patchUserBody, usersQuery } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { noBody, readBody, readQuery } from "../../http/body.ts";
import { answer, meta, noContent } from "../../http/helpers.ts";
import { identifiers } from "../auth.ts";
import { USER, userParam, type Caller } from "./caller.ts";
import { PASSKEY_ID_RE } from "../../../objects/tenant/passkeys/store.ts";
import type { UpdateUserInput } from "../../../objects/tenant/flows/users-admin.ts";

/**
 * A PATCH body as the object's `updateUser` takes it: the email and username normalised (an
 * invalid one throws invalid_request naming the field). The console's profile form uses it too.
 */
export function userChanges(b: z.infer<typeof patchUserBody>): Omit<UpdateUserInput, "by" | "id" | "meta"> {
  const ids = identifiers(b);
  return {
    status: b.status,
    email: ids.email ? { raw: b.email!.normalize("NFKC"), norm: ids.email } : undefined,
    username: ids.username ? { raw: b.username!.normalize("NFKC"), norm: ids.username } : undefined,
    email_verified: b.email_verified,
    metadata: b.metadata,
  };
}

export function userRoutes(who: Caller): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/users", (c) => {
    const by = who(c);
    const q = readQuery(c, usersQuery);
    const query = q.query?.normalize("NFKC").toLowerCase() || null;
    return answer(c, c.get("tenant").listUsers({ by, query, cursor: q.cursor ?? null, limit: q.limit ?? 50 }));
  });

  r.get(USER, (c) => {
    const by = who(c);
    return answer(c, c.get("tenant").getUserDetail({ by, id: userParam(c) }));
  });

  r.patch(USER, async (c) => {
    const by = who(c);
    const id = userParam(c);
    const b = await readBody(c, patchUserBody);
    return answer(c, c.get("tenant").updateUser({ by, id, ...userChanges(b), meta: meta(c) }));
  });

  r.delete(USER, async (c) => {
    const by = who(c);
    unwrap(await c.get("tenant").deleteUser({ by, id: userParam(c), meta: meta(c) }));
    return noContent(c);
  });

  r.post(`${USER}/unlock`, async (c) => {
    const by = who(c);
    await noBody(c);
    unwrap(await c.get("tenant").unlockUser({ by, userId: userParam(c) }));
    return noContent(c);
  });

  r.post(`${USER}/revoke`, async (c) => {
    const by = who(c);
    await noBody(c);
    unwrap(await c.get("tenant").revokeUser({ by, id: userParam(c), meta: meta(c) }));
    return noContent(c);
  });

  /**
   * Signs every user out: every live session and user grant of the tenant ends, with one
   * `tenant.revoked` event to the subscribers. Answers how many sessions ended.
   */
  r.post("/sessions/revoke", async (c) => {
    const by = who(c);
    await noBody(c);
    return answer(c, c.get("tenant").revokeAllUserSessions({ by, meta: meta(c) }));
  });

  /** Ends one session of the user (`session.revoked`, pushed to the subscribers). */
  r.delete(`${USER}/sessions/:sid`, async (c) => {
    const by = who(c);
    const id = userParam(c);
    const sid = c.req.param("sid");
    if (!/^[A-Za-z0-9_-]{22}$/.test(sid)) throw new AuthError("not_found", "No such session.");
    unwrap(await c.get("tenant").revokeUserSession({ by, id, sessionId: sid, meta: meta(c) }));
    return noContent(c);
  });

  /** Ends every session and removes the password: the user sets a new one with /password/forgot. */
  r.post(`${USER}/password-reset`, async (c) => {
    const by = who(c);
    await noBody(c);
    unwrap(await c.get("tenant").forcePasswordReset({ by, id: userParam(c), meta: meta(c) }));
    return noContent(c);
  });

  /** Removes TOTP and the recovery codes and ends every session (audited `mfa.reset`). */
  r.post(`${USER}/mfa/reset`, async (c) => {
    const by = who(c);
    await noBody(c);
    unwrap(await c.get("tenant").resetMfa({ by, id: userParam(c), meta: meta(c) }));
    return noContent(c);
  });

  /** Removes one of the user's passkeys and ends the sessions it signed in (audited `passkey.removed`). */
  r.delete(`${USER}/passkeys/:passkey`, async (c) => {
    const by = who(c);
    const id = c.req.param("passkey") ?? "";
    if (!PASSKEY_ID_RE.test(id)) throw new AuthError("not_found", "No such passkey.");
    unwrap(await c.get("tenant").operatorDeletePasskey({ by, userId: userParam(c), id, meta: meta(c) }));
    return noContent(c);
  });

  return r;
}
