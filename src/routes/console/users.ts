/**
 * @module A tenant's users in the console: search, a user's page, its profile edit (the
 * admin API's PATCH, refusals next to their fields), and its actions (disable,
 * enable, unlock, force a password reset, reset MFA, delete a passkey, revoke one session or
 * all, grant and remove roles); and signing every user of the tenant out. Each action is the admin API's RPC with the console's caller (`admin` or the
 * key), so the object authorises it and audits it with that actor; then back to the user's
 * page with what happened.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AuthError, fail, unwrap, type Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { patchUserBody, ROLE_RE } from "../../../schema/requests.ts";
import { renderConsole } from "../../pages/console/render.ts";
import { texts } from "../../pages/console/texts.ts";
import { profileValues, UserPage } from "../../pages/console/user.tsx";
import type { FormState } from "../../pages/console/layout.tsx";
import type { PublicUser } from "../../../objects/tenant/users.ts";
import { UsersPage } from "../../pages/console/users.tsx";
import { userParam } from "../admin/caller.ts";
import { userChanges } from "../admin/users.ts";
import { place, placeIssues, type Placed } from "./form.ts";
import { PASSKEY_ID_RE } from "../../../objects/tenant/passkeys/store.ts";
import { frame, readForm, readRawForm, rpc, type ConsoleContext, type ConsoleEnv } from "./auth.ts";
import type { getUserDetail, listUsers, revokeAllUserSessions, updateUser } from "../../../objects/tenant/flows/users-admin.ts";

export const userPages = new Hono<ConsoleEnv>();

const searchQuery = z.strictObject({ q: z.string().max(320).optional(), cursor: z.string().max(64).optional(), signed_out: z.string().regex(/^\d{1,9}$/).optional() });

userPages.get("/users", async (c) => {
  const q = searchQuery.safeParse(c.req.query());
  if (!q.success) throw new AuthError("invalid_request");
  const query = q.data.q?.trim() ?? "";
  const r = unwrap(rpc<typeof listUsers>(await c.get("tenant").listUsers({ by: c.get("who").by, query: query.normalize("NFKC").toLowerCase() || null, cursor: q.data.cursor ?? null, limit: 50 })));
  const signedOut = q.data.signed_out === undefined ? null : Number(q.data.signed_out);
  return renderConsole(c, UsersPage({ frame: frame(c, "users"), slug: c.get("slug"), query, users: r.users, next: r.next_cursor, signedOut }));
});

/** Signs every user of the tenant out (the admin API's POST …/sessions/revoke), then back to the users with the count. */
userPages.post("/sessions/revoke", async (c) => {
  await readForm(c, {});
  const r = unwrap(rpc<typeof revokeAllUserSessions>(await c.get("tenant").revokeAllUserSessions({ by: c.get("who").by, meta: meta(c) })));
  return c.redirect(`/admin/t/${c.get("slug")}/users?signed_out=${r.sessions}`, 303);
});

type Done = keyof typeof texts.user.done;
const DONE = new Set<string>(Object.keys(texts.user.done));

async function userPage(c: ConsoleContext, id: string, profile?: FormState) {
  const by = c.get("who").by;
  const [detail, roles] = await Promise.all([c.get("tenant").getUserDetail({ by, id }), c.get("tenant").listRoles({ by })]);
  const done = c.req.query("done");
  return renderConsole(
    c,
    UserPage({ frame: frame(c, "users"), slug: c.get("slug"), detail: unwrap(rpc<typeof getUserDetail>(detail)), roles: unwrap(roles).roles.map((r) => r.name), profile, notice: !profile && done && DONE.has(done) ? texts.user.done[done as Done] : null }),
    { status: profile ? 400 : 200 },
  );
}

userPages.get("/users/:id", (c) => userPage(c, userParam(c)));

const PROFILE = ["email", "username", "email_verified", "status", "metadata"] as const;

/**
 * The profile form as a PATCH body: only the fields whose text differs from the stored value
 * (metadata compared as JSON, since browsers send a textarea's line breaks as CRLF).
 */
function profilePatch(u: PublicUser, f: Record<string, string>): { patch: Record<string, unknown>; errors: Record<string, string> } {
  const now = profileValues(u);
  const patch: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const k of ["email", "username"] as const) if (k in f && f[k].trim() !== now[k]) patch[k] = f[k].trim();
  for (const k of ["email_verified", "status"] as const) {
    if (!(k in f) || f[k] === now[k]) continue;
    patch[k] = k === "status" ? f[k] : f[k] === "true" ? true : f[k] === "false" ? false : f[k];
  }
  if ("metadata" in f) {
    try {
      const m: unknown = JSON.parse(f.metadata.trim() || "{}");
      if (JSON.stringify(m) !== JSON.stringify(u.metadata)) patch.metadata = m;
    } catch {
      errors.metadata = texts.user.notJson;
    }
  }
  return { patch, errors };
}

userPages.post("/users/:id/profile", async (c) => {
  const f = await readRawForm(c);
  const id = userParam(c);
  const by = c.get("who").by;
  const { user } = unwrap(rpc<typeof getUserDetail>(await c.get("tenant").getUserDetail({ by, id })));
  const values = Object.fromEntries(PROFILE.filter((k) => k in f).map((k) => [k, f[k]]));
  const refuse = (p: Placed) => userPage(c, id, { values, errors: p.fields, other: p.other });
  const { patch, errors } = profilePatch(user, f);
  if (Object.keys(errors).length) return refuse({ fields: errors, other: [] });
  if (!Object.keys(patch).length) return c.redirect(`/admin/t/${c.get("slug")}/users/${id}?done=unchanged`, 303);
  const parsed = patchUserBody.safeParse(patch);
  if (!parsed.success) return refuse(placeIssues(parsed.error.issues, PROFILE));
  let changes: ReturnType<typeof userChanges>;
  try {
    changes = userChanges(parsed.data);
  } catch (e) {
    if (e instanceof AuthError) return refuse(place(fail(e.code, e.message, { details: e.details }), PROFILE));
    throw e;
  }
  const r = rpc<typeof updateUser>(await c.get("tenant").updateUser({ by, id, ...changes, meta: meta(c) }));
  if (!r.ok && r.error.code === "conflict") {
    const message = r.error.message ?? "taken";
    return refuse({ fields: Object.fromEntries((["email", "username"] as const).filter((k) => k in patch).map((k) => [k, message])), other: [] });
  }
  if (!r.ok) return refuse(place(r, PROFILE));
  return c.redirect(`/admin/t/${c.get("slug")}/users/${id}?done=profile`, 303);
});

/** One action on a user: CSRF first, then the RPC, then the user's page saying what happened. */
function action(done: Done, run: (c: ConsoleContext, id: string, form: Record<string, string>) => Promise<Result<unknown>>, fields: z.ZodRawShape = {}) {
  return async (c: ConsoleContext) => {
    const form = (await readForm(c, fields)) as Record<string, string>;
    const id = userParam(c);
    unwrap(await run(c, id, form));
    return c.redirect(`/admin/t/${c.get("slug")}/users/${id}?done=${done}`, 303);
  };
}

const act = (c: ConsoleContext, id: string) => ({ by: c.get("who").by, id, meta: meta(c) });
const tenantOf = (c: ConsoleContext) => c.get("tenant");
const roleField = { role: z.string().regex(ROLE_RE), revoke: z.literal("1").optional() };

userPages.post("/users/:id/disable", action("disable", (c, id) => tenantOf(c).updateUser({ ...act(c, id), status: "disabled" })));
userPages.post("/users/:id/enable", action("enable", (c, id) => tenantOf(c).updateUser({ ...act(c, id), status: "active" })));
userPages.post("/users/:id/unlock", action("unlock", (c, id) => tenantOf(c).unlockUser({ by: c.get("who").by, userId: id })));
userPages.post("/users/:id/password-reset", action("password-reset", (c, id) => tenantOf(c).forcePasswordReset(act(c, id))));
userPages.post("/users/:id/mfa-reset", action("mfa-reset", (c, id) => tenantOf(c).resetMfa(act(c, id))));
userPages.post("/users/:id/revoke", action("revoke", (c, id) => tenantOf(c).revokeUser(act(c, id))));
userPages.post(
  "/users/:id/sessions/:sid/revoke",
  action("session", (c, id) => {
    const sid = c.req.param("sid") ?? "";
    if (!/^[A-Za-z0-9_-]{22}$/.test(sid)) throw new AuthError("not_found", "No such session.");
    return tenantOf(c).revokeUserSession({ ...act(c, id), sessionId: sid });
  }),
);
userPages.post(
  "/users/:id/passkeys/:pk/delete",
  action("passkey", (c, id) => {
    const pk = c.req.param("pk") ?? "";
    if (!PASSKEY_ID_RE.test(pk)) throw new AuthError("not_found", "No such passkey.");
    return tenantOf(c).operatorDeletePasskey({ by: c.get("who").by, userId: id, id: pk, meta: meta(c) });
  }),
);
/**
 * A membership change, with the admin API's `?revoke=true` as a checkbox: the user's secret is
 * rotated, so every token carrying the old roles dies now rather than at the next refresh.
 */
function membership(grant: boolean) {
  return async (c: ConsoleContext) => {
    const f = await readForm(c, roleField);
    const id = userParam(c);
    const revoke = f.revoke === "1";
    const i = { by: c.get("who").by, userId: id, role: f.role, revoke, meta: meta(c) };
    unwrap(await (grant ? tenantOf(c).grantRole(i) : tenantOf(c).removeRole(i)));
    const done: Done = grant ? (revoke ? "grant-revoke" : "grant") : revoke ? "remove-revoke" : "remove";
    return c.redirect(`/admin/t/${c.get("slug")}/users/${id}?done=${done}`, 303);
  };
}
userPages.post("/users/:id/roles/grant", membership(true));
userPages.post("/users/:id/roles/remove", membership(false));
