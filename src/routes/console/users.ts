/**
 * @module A tenant's users in the console: search, a user's page, and its actions (disable,
 * enable, unlock, force a password reset, reset MFA, delete a passkey, revoke one session or
 * all, grant and remove roles). Each action is the admin API's RPC with the console's caller (`admin` or the
 * key), so the object authorises it and audits it with that actor; then back to the user's
 * page with what happened.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AuthError, unwrap, type Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { ROLE_RE } from "../../../schema/requests.ts";
import { renderConsole } from "../../pages/console/render.ts";
import { texts } from "../../pages/console/texts.ts";
import { UserPage } from "../../pages/console/user.tsx";
import { UsersPage } from "../../pages/console/users.tsx";
import { userParam } from "../admin/caller.ts";
import { PASSKEY_ID_RE } from "../../../objects/tenant/passkeys/store.ts";
import { frame, readForm, rpc, type ConsoleContext, type ConsoleEnv } from "./auth.ts";
import type { getUserDetail, listUsers } from "../../../objects/tenant/flows/users-admin.ts";

export const userPages = new Hono<ConsoleEnv>();

const searchQuery = z.strictObject({ q: z.string().max(320).optional(), cursor: z.string().max(64).optional() });

userPages.get("/users", async (c) => {
  const q = searchQuery.safeParse(c.req.query());
  if (!q.success) throw new AuthError("invalid_request");
  const query = q.data.q?.trim() ?? "";
  const r = unwrap(rpc<typeof listUsers>(await c.get("tenant").listUsers({ by: c.get("who").by, query: query.normalize("NFKC").toLowerCase() || null, cursor: q.data.cursor ?? null, limit: 50 })));
  return renderConsole(c, UsersPage({ frame: frame(c, "users"), slug: c.get("slug"), query, users: r.users, next: r.next_cursor }));
});

type Done = keyof typeof texts.user.done;
const DONE = new Set<string>(Object.keys(texts.user.done));

userPages.get("/users/:id", async (c) => {
  const id = userParam(c);
  const by = c.get("who").by;
  const [detail, roles] = await Promise.all([c.get("tenant").getUserDetail({ by, id }), c.get("tenant").listRoles({ by })]);
  const done = c.req.query("done");
  return renderConsole(
    c,
    UserPage({ frame: frame(c, "users"), slug: c.get("slug"), detail: unwrap(rpc<typeof getUserDetail>(detail)), roles: unwrap(roles).roles.map((r) => r.name), notice: done && DONE.has(done) ? texts.user.done[done as Done] : null }),
  );
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
const roleField = { role: z.string().regex(ROLE_RE) };

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
userPages.post("/users/:id/roles/grant", action("grant", (c, id, f) => tenantOf(c).grantRole({ by: c.get("who").by, userId: id, role: f.role, revoke: false, meta: meta(c) }), roleField));
userPages.post("/users/:id/roles/remove", action("remove", (c, id, f) => tenantOf(c).removeRole({ by: c.get("who").by, userId: id, role: f.role, revoke: false, meta: meta(c) }), roleField));
