/** @module `users …`, `sessions list` and `sessions revoke-all`: user administration within a tenant, and the cross-tenant lookup. */
import type { Directory, RevokedSessions, Session, User, UserDetail, UserList } from "../api-types.ts";
import { emit, expectFields, intOption, stringOption, type Command, type Context } from "../command.ts";
import { seg } from "../http.ts";
import { renderFields, renderJsonBlock, renderTable, type Column } from "../table.ts";
import { USER_REF, USER_REF_HELP, resolveUserId } from "../user-ref.ts";

const userColumns: Column<User>[] = [
  { header: "id", value: "id" },
  { header: "email", value: "email", max: 40 },
  { header: "username", value: "username", max: 30 },
  { header: "verified", value: "email_verified" },
  { header: "status", value: "status" },
  { header: "created_at", value: "created_at" },
];

const sessionColumns: Column<Session>[] = [
  { header: "id", value: "id", max: 24 },
  { header: "created_at", value: "created_at" },
  { header: "last_refreshed_at", value: "last_refreshed_at" },
  { header: "expires_at", value: "expires_at" },
  { header: "ip", value: "ip" },
  { header: "amr", value: "amr" },
  { header: "revoked", value: (s) => (s.revoked_at ? `${s.revoked_at} (${s.revoke_reason ?? "?"})` : null) },
  { header: "user_agent", value: "user_agent", max: 40 },
];

function userPath(tenant: string, id: string): string {
  return `/tenants/${seg(tenant)}/users/${seg(id)}`;
}

async function getUser(ctx: Context, tenant: string, id: string): Promise<UserDetail> {
  return expectFields(await ctx.http.request<UserDetail>("GET", userPath(tenant, id)), ["user"], "GET users/{id}");
}

/** A listed or edited user, or the one `users show` finds (which may be soft-deleted). */
function renderUser(user: User | UserDetail["user"]): string {
  const { metadata, ...fields } = user;
  const parts = [renderFields(fields)];
  if (metadata && Object.keys(metadata).length > 0) parts.push(renderJsonBlock("metadata", metadata));
  return parts.join("\n");
}

/** The user object of a PATCH answer, whether it is the user or `{user}`. */
function unwrapUser(result: unknown): User {
  const wrapped = result as { user?: User };
  return wrapped && typeof wrapped === "object" && wrapped.user ? wrapped.user : (result as User);
}

function setStatus(status: "active" | "disabled"): Command["run"] {
  return async (ctx, { args: [tenant, ref] }) => {
    const id = await resolveUserId(ctx, tenant, ref);
    const result = await ctx.http.request<unknown>("PATCH", userPath(tenant, id), { status });
    const verb = status === "disabled" ? "Disabled" : "Enabled";
    emit(ctx, result, () => {
      const note = status === "disabled" ? " Its sessions are revoked and its tokens rejected." : "";
      return `${verb} user ${id}.${note}\n\n${renderUser(unwrapUser(result))}`;
    });
  };
}

/** For the 204 answers: `--json` still prints something a script can read. */
function done(ctx: Context, result: Record<string, unknown>, text: string): void {
  emit(ctx, result, () => text);
}

export const userCommands: Command[] = [
  {
    path: ["users", "find"],
    usage: "<tenant> [query] [--limit <n>] [--cursor <c>]",
    summary: "Find users by email or username prefix (all users without a query).",
    details: "GET /v1/admin/tenants/{tenant}/users?query=&limit=&cursor=",
    options: {
      limit: { type: "string", value: "<n>", description: "users per page" },
      cursor: { type: "string", value: "<c>", description: "next_cursor of a previous page" },
    },
    positionals: [1, 2],
    async run(ctx, { args: [tenant, query], opts }) {
      const result = expectFields(
        await ctx.http.request<UserList>("GET", `/tenants/${seg(tenant)}/users`, undefined, {
          query: { query, limit: intOption(opts, "limit", 1, 1000), cursor: stringOption(opts, "cursor") },
        }),
        ["users"],
        "GET users",
      );
      emit(ctx, result, () => renderTable(result.users, userColumns));
      if (!ctx.json && result.next_cursor) ctx.err(`more users: --cursor ${result.next_cursor}`);
    },
  },
  {
    path: ["users", "show"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Show a user, their sessions and MFA state.",
    details: `GET /v1/admin/tenants/{tenant}/users/{id}\n${USER_REF_HELP}`,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, ref] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      const detail = await getUser(ctx, tenant, id);
      emit(ctx, detail, () =>
        [
          renderUser(detail.user),
          "",
          `mfa: totp ${detail.mfa?.totp ? "on" : "off"}, ${detail.mfa?.recovery_codes_remaining ?? 0} recovery codes left`,
          "",
          `sessions (${detail.sessions?.length ?? 0}):`,
          renderTable(detail.sessions ?? [], sessionColumns),
        ].join("\n"),
      );
    },
  },
  {
    path: ["users", "disable"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Disable a user: revokes every session and token.",
    details: `PATCH /v1/admin/tenants/{tenant}/users/{id} {"status":"disabled"}\n${USER_REF_HELP}`,
    positionals: [2, 2],
    run: setStatus("disabled"),
  },
  {
    path: ["users", "enable"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Enable a disabled user.",
    details: `PATCH /v1/admin/tenants/{tenant}/users/{id} {"status":"active"}\n${USER_REF_HELP}`,
    positionals: [2, 2],
    run: setStatus("active"),
  },
  {
    path: ["users", "delete"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Delete a user (soft delete, hard delete after the retention period).",
    details: `DELETE /v1/admin/tenants/{tenant}/users/{id}\n${USER_REF_HELP}`,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, ref] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      await ctx.http.request("DELETE", userPath(tenant, id));
      done(ctx, { tenant, user_id: id, deleted: true }, `Deleted user ${id}.`);
    },
  },
  {
    path: ["users", "revoke"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Revoke every session and token of a user (rotates their secret).",
    details: `POST /v1/admin/tenants/{tenant}/users/{id}/revoke\n${USER_REF_HELP}`,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, ref] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      await ctx.http.request("POST", `${userPath(tenant, id)}/revoke`);
      done(ctx, { tenant, user_id: id, revoked: true }, `Revoked every session and token of user ${id}.`);
    },
  },
  {
    path: ["users", "unlock"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Clear a user's lockout.",
    details: `POST /v1/admin/tenants/{tenant}/users/{id}/unlock\n${USER_REF_HELP}`,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, ref] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      await ctx.http.request("POST", `${userPath(tenant, id)}/unlock`);
      done(ctx, { tenant, user_id: id, unlocked: true }, `Unlocked user ${id}.`);
    },
  },
  {
    path: ["users", "reset-mfa"],
    usage: `<tenant> ${USER_REF}`,
    summary: "Reset a user's MFA: removes TOTP and the recovery codes, ends every session.",
    details: `POST /v1/admin/tenants/{tenant}/users/{id}/mfa/reset\n${USER_REF_HELP}`,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, ref] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      await ctx.http.request("POST", `${userPath(tenant, id)}/mfa/reset`);
      done(ctx, { tenant, user_id: id, mfa_reset: true }, `Reset MFA of user ${id}: TOTP and recovery codes removed, every session ended.`);
    },
  },
  {
    path: ["users", "lookup"],
    usage: "<email>",
    summary: "Which tenants know this email (the D1 user directory).",
    details: "GET /v1/admin/users?email=",
    positionals: [1, 1],
    async run(ctx, { args: [email] }) {
      const result = expectFields(
        await ctx.http.request<Directory>("GET", "/users", undefined, { query: { email } }),
        ["users"],
        "GET /v1/admin/users",
      );
      emit(ctx, result, () =>
        renderTable(result.users, [
          { header: "tenant", value: "tenant" },
          { header: "user_id", value: "user_id" },
          { header: "status", value: "status" },
        ]),
      );
    },
  },
  {
    path: ["sessions", "list"],
    usage: `<tenant> ${USER_REF}`,
    summary: "List a user's sessions, revoked ones included.",
    details: `The sessions of GET /v1/admin/tenants/{tenant}/users/{id}; --json prints {sessions: [...]}.\n${USER_REF_HELP}`,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, ref] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      const detail = await getUser(ctx, tenant, id);
      const sessions = detail.sessions ?? [];
      emit(ctx, { sessions }, () => renderTable(sessions, sessionColumns));
    },
  },
  {
    path: ["sessions", "revoke-all"],
    usage: "<tenant>",
    summary: "Sign every user of a tenant out: every session ends, accounts stay.",
    details: "POST /v1/admin/tenants/{tenant}/sessions/revoke\nSubscribers get one tenant.revoked event; --json prints {tenant, sessions}.",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const r = expectFields(await ctx.http.request<RevokedSessions>("POST", `/tenants/${seg(tenant)}/sessions/revoke`), ["sessions"], "POST …/sessions/revoke");
      done(ctx, { tenant, sessions: r.sessions }, `Signed every user of ${tenant} out: ${r.sessions} session${r.sessions === 1 ? "" : "s"} ended.`);
    },
  },
];
