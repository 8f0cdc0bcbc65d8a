/** @module `clients create|list|show|update|delete|rotate-secret`: a tenant's OAuth / OpenID Connect clients. */
import type { Client, ClientList } from "../api-types.ts";
import { emit, expectFields, jsonObjectArg, listOption, stringOption, type Command, type OptionSpec, type OptionValues } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg } from "../http.ts";
import { renderFields, renderTable } from "../table.ts";

/** Options naming RFC 7591 metadata; `--metadata` takes any of it as JSON (the named options win). */
const METADATA_OPTIONS: Record<string, OptionSpec> = {
  name: { type: "string", value: "<text>", description: "client_name, shown on the consent page" },
  "redirect-uri": { type: "string", multiple: true, value: "<uri>", description: "redirect_uris (https, http://127.0.0.1, or com.example.app:/cb)" },
  "post-logout-redirect-uri": { type: "string", multiple: true, value: "<uri>", description: "post_logout_redirect_uris" },
  grant: { type: "string", multiple: true, value: "<type>", description: "grant_types: authorization_code, refresh_token, client_credentials" },
  scope: { type: "string", value: "<scopes>", description: "the space-separated scope the client may ask for" },
  "auth-method": { type: "string", value: "<method>", description: "token_endpoint_auth_method: client_secret_basic, client_secret_post, none (public)" },
  public: { type: "boolean", description: "same as --auth-method none (a browser or native app without a secret)" },
  "first-party": { type: "boolean", description: "first_party: an app of the tenant's own, which skips consent" },
  "backchannel-logout-uri": { type: "string", value: "<uri>", description: "backchannel_logout_uri (OIDC Back-Channel Logout)" },
  "id-token-alg": { type: "string", value: "<alg>", description: "id_token_signed_response_alg: RS256 (default), EdDSA, ES256" },
  "logo-uri": { type: "string", value: "<uri>", description: "logo_uri (https)" },
  "client-uri": { type: "string", value: "<uri>", description: "client_uri (https)" },
  metadata: { type: "string", value: "<json>", description: "more metadata as a JSON object" },
};

function metadataFrom(opts: OptionValues): Record<string, unknown> {
  const m: Record<string, unknown> = opts.metadata === undefined ? {} : jsonObjectArg(String(opts.metadata), "--metadata");
  const str = (opt: string, field: string) => {
    const v = stringOption(opts, opt);
    if (v !== undefined) m[field] = v;
  };
  const list = (opt: string, field: string) => {
    if (opts[opt] !== undefined) m[field] = listOption(opts, opt);
  };
  str("name", "client_name");
  list("redirect-uri", "redirect_uris");
  list("post-logout-redirect-uri", "post_logout_redirect_uris");
  list("grant", "grant_types");
  str("scope", "scope");
  str("auth-method", "token_endpoint_auth_method");
  if (opts.public) {
    if (m.token_endpoint_auth_method !== undefined && m.token_endpoint_auth_method !== "none") throw new UsageError("--public contradicts --auth-method");
    m.token_endpoint_auth_method = "none";
  }
  if (opts["first-party"]) m.first_party = true;
  str("backchannel-logout-uri", "backchannel_logout_uri");
  str("id-token-alg", "id_token_signed_response_alg");
  str("logo-uri", "logo_uri");
  str("client-uri", "client_uri");
  return m;
}

const fields = (c: Client) => ({
  client_id: c.client_id,
  client_name: c.client_name,
  redirect_uris: c.redirect_uris,
  grant_types: c.grant_types,
  scope: c.scope,
  token_endpoint_auth_method: c.token_endpoint_auth_method,
  first_party: c.first_party,
  id_token_signed_response_alg: c.id_token_signed_response_alg,
  backchannel_logout_uri: c.backchannel_logout_uri,
  created_at: c.created_at,
});

/** The secret, when the answer carries one: printed once, with a warning that it will not be shown again. */
const secretNote = (c: { client_secret?: string }) => (c.client_secret ? `\n\nclient_secret: ${c.client_secret}\nStore it now: it is shown only once.` : "");

export const clientCommands: Command[] = [
  {
    path: ["clients", "create"],
    usage: "<tenant> [--name <text>] [--redirect-uri <uri>...] [--public] [...]",
    summary: "Register an OAuth / OpenID Connect client; a confidential client's secret is shown once.",
    details: "POST /v1/admin/tenants/{tenant}/clients {client_name, redirect_uris, grant_types, ...} (RFC 7591 names)",
    options: METADATA_OPTIONS,
    positionals: [1, 1],
    async run(ctx, { args: [tenant], opts }) {
      const client = expectFields(await ctx.http.request<Client>("POST", `/tenants/${seg(tenant)}/clients`, metadataFrom(opts)), ["client_id"], "POST clients");
      emit(ctx, client, () => `Created client ${client.client_id}.\n\n${renderFields(fields(client))}${secretNote(client)}`);
    },
  },
  {
    path: ["clients", "list"],
    usage: "<tenant>",
    summary: "List a tenant's clients.",
    details: "GET /v1/admin/tenants/{tenant}/clients",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const result = expectFields(await ctx.http.request<ClientList>("GET", `/tenants/${seg(tenant)}/clients`), ["clients"], "GET clients");
      emit(ctx, result, () =>
        renderTable(result.clients, [
          { header: "client_id", value: "client_id" },
          { header: "name", value: "client_name" },
          { header: "auth", value: "token_endpoint_auth_method" },
          { header: "grants", value: "grant_types" },
          { header: "first party", value: "first_party" },
          { header: "redirect uris", value: "redirect_uris" },
        ]),
      );
    },
  },
  {
    path: ["clients", "show"],
    usage: "<tenant> <client-id>",
    summary: "Show one client's metadata (never its secret).",
    details: "GET /v1/admin/tenants/{tenant}/clients/{client_id}",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id] }) {
      const client = expectFields(await ctx.http.request<Client>("GET", `/tenants/${seg(tenant)}/clients/${seg(id)}`), ["client_id"], "GET client");
      emit(ctx, client, () => renderFields({ ...client }));
    },
  },
  {
    path: ["clients", "update"],
    usage: "<tenant> <client-id> [--name <text>] [--redirect-uri <uri>...] [...]",
    summary: "Change a client's metadata (what is named replaces what is stored; lists replace whole).",
    details: "PATCH /v1/admin/tenants/{tenant}/clients/{client_id}",
    options: METADATA_OPTIONS,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id], opts }) {
      const patch = metadataFrom(opts);
      if (Object.keys(patch).length === 0) throw new UsageError("nothing to change", "clients update");
      const client = expectFields(await ctx.http.request<Client>("PATCH", `/tenants/${seg(tenant)}/clients/${seg(id)}`, patch), ["client_id"], "PATCH client");
      emit(ctx, client, () => `Updated client ${client.client_id}.\n\n${renderFields(fields(client))}${secretNote(client)}`);
    },
  },
  {
    path: ["clients", "delete"],
    usage: "<tenant> <client-id>",
    summary: "Delete a client; every grant it holds ends and its tokens die.",
    details: "DELETE /v1/admin/tenants/{tenant}/clients/{client_id}",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id] }) {
      const result = await ctx.http.request<unknown>("DELETE", `/tenants/${seg(tenant)}/clients/${seg(id)}`);
      emit(ctx, result ?? { client_id: id, deleted: true }, () => `Deleted client ${id}.`);
    },
  },
  {
    path: ["clients", "rotate-secret"],
    usage: "<tenant> <client-id>",
    summary: "Give a confidential client a new secret (shown once); the old one stops working.",
    details: "POST /v1/admin/tenants/{tenant}/clients/{client_id}/secret",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id] }) {
      const r = expectFields(
        await ctx.http.request<{ client_id: string; client_secret: string }>("POST", `/tenants/${seg(tenant)}/clients/${seg(id)}/secret`),
        ["client_secret"],
        "POST client secret",
      );
      emit(ctx, r, () => `Rotated the secret of client ${id}.${secretNote(r)}`);
    },
  },
];
