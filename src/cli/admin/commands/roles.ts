/** @module `roles list|create|delete|grant|revoke`: RBAC within a tenant. */
import type { Role, RoleList } from "../api-types.ts";
import { emit, expectFields, listOption, stringOption, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg } from "../http.ts";
import { renderFields, renderTable } from "../table.ts";
import { USER_REF, USER_REF_HELP, resolveUserId } from "../user-ref.ts";

export const roleCommands: Command[] = [
  {
    path: ["roles", "list"],
    usage: "<tenant>",
    summary: "List a tenant's roles.",
    details: "GET /v1/admin/tenants/{tenant}/roles",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const result = expectFields(
        await ctx.http.request<RoleList>("GET", `/tenants/${seg(tenant)}/roles`),
        ["roles"],
        "GET roles",
      );
      emit(ctx, result, () =>
        renderTable(result.roles, [
          { header: "name", value: "name" },
          { header: "scopes", value: "scopes" },
          { header: "description", value: "description" },
        ]),
      );
    },
  },
  {
    path: ["roles", "create"],
    usage: "<tenant> <name> --scope <scope>... [--description <text>]",
    summary: "Create a role; tokens of its members carry its scopes.",
    details: "POST /v1/admin/tenants/{tenant}/roles {name, description?, scopes}",
    options: {
      scope: { type: "string", multiple: true, value: "<scope>", description: "a scope the role grants; comma lists accepted" },
      description: { type: "string", value: "<text>", description: "what the role is for" },
    },
    positionals: [2, 2],
    async run(ctx, { args: [tenant, name], opts }) {
      const scopes = listOption(opts, "scope");
      if (scopes.length === 0) throw new UsageError("at least one --scope is required", "roles create");
      const description = stringOption(opts, "description");
      const body = { name, scopes, ...(description === undefined ? {} : { description }) };
      const role = await ctx.http.request<Role | undefined>("POST", `/tenants/${seg(tenant)}/roles`, body);
      emit(ctx, role ?? body, () => `Created role ${name}.\n\n${renderFields({ ...(role ?? body) })}`);
    },
  },
  {
    path: ["roles", "delete"],
    usage: "<tenant> <name>",
    summary: "Delete a role (and its memberships).",
    details: "DELETE /v1/admin/tenants/{tenant}/roles/{name}",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, name] }) {
      const result = await ctx.http.request<unknown>("DELETE", `/tenants/${seg(tenant)}/roles/${seg(name)}`);
      emit(ctx, result ?? { name, deleted: true }, () => `Deleted role ${name}.`);
    },
  },
  {
    path: ["roles", "grant"],
    usage: `<tenant> ${USER_REF} <role>`,
    summary: "Give a user a role (from their next token on).",
    details: `PUT /v1/admin/tenants/{tenant}/users/{id}/roles/{role}\n${USER_REF_HELP}`,
    positionals: [3, 3],
    async run(ctx, { args: [tenant, ref, role] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      const result = await ctx.http.request<unknown>("PUT", `/tenants/${seg(tenant)}/users/${seg(id)}/roles/${seg(role)}`);
      emit(ctx, result ?? { user_id: id, role, granted: true }, () => `Granted role ${role} to user ${id}.`);
    },
  },
  {
    path: ["roles", "revoke"],
    usage: `<tenant> ${USER_REF} <role>`,
    summary: "Take a role away from a user.",
    details: `DELETE /v1/admin/tenants/{tenant}/users/{id}/roles/{role}\n${USER_REF_HELP}`,
    positionals: [3, 3],
    async run(ctx, { args: [tenant, ref, role] }) {
      const id = await resolveUserId(ctx, tenant, ref);
      const result = await ctx.http.request<unknown>("DELETE", `/tenants/${seg(tenant)}/users/${seg(id)}/roles/${seg(role)}`);
      emit(ctx, result ?? { user_id: id, role, revoked: true }, () => `Revoked role ${role} from user ${id}.`);
    },
  },
];
