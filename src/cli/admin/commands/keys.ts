/** @module `api-keys list|create|revoke` and `keys rotate`: a tenant's API keys and signing keys. */
import type { ApiKeyList, CreatedApiKey, SigningKey } from "../api-types.ts";
import { emit, expectFields, listOption, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg } from "../http.ts";
import { renderFields, renderTable } from "../table.ts";

const SCOPES = ["introspect", "subscribe", "manage"];

export const keyCommands: Command[] = [
  {
    path: ["api-keys", "list"],
    usage: "<tenant>",
    summary: "List a tenant's API keys (never the keys themselves).",
    details: "GET /v1/admin/tenants/{tenant}/api-keys",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const result = expectFields(
        await ctx.http.request<ApiKeyList>("GET", `/tenants/${seg(tenant)}/api-keys`),
        ["api_keys"],
        "GET api-keys",
      );
      emit(ctx, result, () =>
        renderTable(result.api_keys, [
          { header: "id", value: "id" },
          { header: "name", value: "name", max: 30 },
          { header: "scopes", value: "scopes" },
          { header: "created_at", value: "created_at" },
          { header: "last_used_at", value: "last_used_at" },
          { header: "revoked_at", value: "revoked_at" },
        ]),
      );
    },
  },
  {
    path: ["api-keys", "create"],
    usage: "<tenant> <name> --scope <scope>...",
    summary: "Create an API key; the key is printed once.",
    details: `POST /v1/admin/tenants/{tenant}/api-keys {name, scopes}. Scopes: ${SCOPES.join(", ")}.`,
    options: {
      scope: { type: "string", multiple: true, value: "<scope>", description: `${SCOPES.join(" | ")}; comma lists accepted` },
    },
    positionals: [2, 2],
    async run(ctx, { args: [tenant, name], opts }) {
      const scopes = listOption(opts, "scope");
      if (scopes.length === 0) throw new UsageError(`at least one --scope is required (${SCOPES.join(", ")})`, "api-keys create");
      const unknown = scopes.filter((scope) => !SCOPES.includes(scope));
      if (unknown.length > 0) throw new UsageError(`unknown scope ${unknown.join(", ")}; use ${SCOPES.join(", ")}`, "api-keys create");
      const created = expectFields(
        await ctx.http.request<CreatedApiKey>("POST", `/tenants/${seg(tenant)}/api-keys`, { name, scopes }),
        ["id", "key"],
        "POST api-keys",
      );
      emit(ctx, created, () => renderFields({ id: created.id, name: created.name, scopes: created.scopes, created_at: created.created_at, key: created.key }));
      ctx.err("warning: the key is shown only once; store it now. The server keeps only its hash.");
    },
  },
  {
    path: ["api-keys", "revoke"],
    usage: "<tenant> <key-id>",
    summary: "Revoke an API key.",
    details: "DELETE /v1/admin/tenants/{tenant}/api-keys/{id}",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id] }) {
      const result = await ctx.http.request<unknown>("DELETE", `/tenants/${seg(tenant)}/api-keys/${seg(id)}`);
      emit(ctx, result ?? { id, revoked: true }, () => `Revoked API key ${id}.`);
    },
  },
  {
    path: ["keys", "rotate"],
    usage: "<tenant>",
    summary: "Rotate the tenant's token signing key.",
    details:
      "POST /v1/admin/tenants/{tenant}/signing-keys/rotate. New tokens use the new key; the old public key stays\n" +
      "in the JWKS until every token it signed has expired.",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const key = expectFields(
        await ctx.http.request<SigningKey>("POST", `/tenants/${seg(tenant)}/signing-keys/rotate`),
        ["kid"],
        "POST signing-keys/rotate",
      );
      emit(ctx, key, () => `Rotated the signing key of ${tenant}.\n\n${renderFields({ ...key })}`);
    },
  },
];
