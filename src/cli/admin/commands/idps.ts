/** @module `idps create|list|show|update|delete`: a tenant's upstream identity providers (sign in with Google, GitHub, Microsoft, Apple, any OIDC provider). */
import { emit, expectFields, jsonObjectArg, stringOption, type Command, type OptionSpec, type OptionValues } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg } from "../http.ts";
import { renderFields, renderTable } from "../table.ts";

interface Idp {
  id: string;
  type: string;
  display_name: string;
  issuer?: string;
  client_id: string;
  client_secret_set: boolean;
  enabled: boolean;
  trust_verified_email: boolean;
  callback_url: string;
  [k: string]: unknown;
}

const OPTIONS: Record<string, OptionSpec> = {
  type: { type: "string", value: "<type>", description: "oidc, google, microsoft, apple or github" },
  issuer: { type: "string", value: "<url>", description: "oidc: the issuer (its discovery document must name exactly it)" },
  "ms-tenant": { type: "string", value: "<tenant>", description: "microsoft: an Entra tenant id, or common / organizations / consumers" },
  "client-id": { type: "string", value: "<id>", description: "the client id registered at the provider" },
  "client-secret": { type: "string", value: "<secret>", description: "the client secret (write-only; sealed at rest)" },
  scopes: { type: "string", value: "<scopes>", description: "space-separated scopes (a preset's default otherwise)" },
  name: { type: "string", value: "<text>", description: "display_name on the sign-in button" },
  "icon-url": { type: "string", value: "<https url>", description: "icon_url on the sign-in button" },
  enable: { type: "boolean", description: "enabled: true" },
  disable: { type: "boolean", description: "enabled: false" },
  "trust-verified-email": { type: "boolean", description: "link a verified local account with the same email without asking its owner first" },
  body: { type: "string", value: "<json>", description: "any other field as a JSON object (apple: {\"apple\": {team_id, key_id, private_key}})" },
};

function bodyFrom(opts: OptionValues): Record<string, unknown> {
  const b: Record<string, unknown> = opts.body === undefined ? {} : jsonObjectArg(String(opts.body), "--body");
  const str = (opt: string, field: string) => {
    const v = stringOption(opts, opt);
    if (v !== undefined) b[field] = v;
  };
  str("type", "type");
  str("issuer", "issuer");
  str("ms-tenant", "tenant");
  str("client-id", "client_id");
  str("client-secret", "client_secret");
  str("scopes", "scopes");
  str("name", "display_name");
  str("icon-url", "icon_url");
  if (opts.enable && opts.disable) throw new UsageError("--enable contradicts --disable");
  if (opts.enable) b.enabled = true;
  if (opts.disable) b.enabled = false;
  if (opts["trust-verified-email"]) b.trust_verified_email = true;
  return b;
}

const fields = (p: Idp) => ({ id: p.id, type: p.type, display_name: p.display_name, issuer: p.issuer, client_id: p.client_id, client_secret_set: p.client_secret_set, enabled: p.enabled, trust_verified_email: p.trust_verified_email, callback_url: p.callback_url });

const path = (tenant: string, id?: string) => `/tenants/${seg(tenant)}/identity-providers${id ? `/${seg(id)}` : ""}`;

export const idpCommands: Command[] = [
  {
    path: ["idps", "create"],
    usage: "<tenant> <id> --type <type> --client-id <id> [--client-secret <secret>] [--issuer <url>] [...]",
    summary: "Add an upstream identity provider; register the callback_url it prints at the provider.",
    details: "POST /v1/admin/tenants/{tenant}/identity-providers {id, type, client_id, client_secret, ...}",
    options: OPTIONS,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id], opts }) {
      const p = expectFields(await ctx.http.request<Idp>("POST", path(tenant), { id, ...bodyFrom(opts) }), ["id"], "POST identity-providers");
      emit(ctx, p, () => `Created identity provider ${p.id}. Register this redirect URI at the provider:\n  ${p.callback_url}\n\n${renderFields(fields(p))}`);
    },
  },
  {
    path: ["idps", "list"],
    usage: "<tenant>",
    summary: "List a tenant's identity providers.",
    details: "GET /v1/admin/tenants/{tenant}/identity-providers",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const r = expectFields(await ctx.http.request<{ identity_providers: Idp[] }>("GET", path(tenant)), ["identity_providers"], "GET identity-providers");
      emit(ctx, r, () =>
        renderTable(r.identity_providers, [
          { header: "id", value: "id" },
          { header: "type", value: "type" },
          { header: "name", value: "display_name" },
          { header: "enabled", value: "enabled" },
          { header: "callback", value: "callback_url" },
        ]),
      );
    },
  },
  {
    path: ["idps", "show"],
    usage: "<tenant> <id>",
    summary: "Show one identity provider (never its secret).",
    details: "GET /v1/admin/tenants/{tenant}/identity-providers/{id}",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id] }) {
      const p = expectFields(await ctx.http.request<Idp>("GET", path(tenant, id)), ["id"], "GET identity-provider");
      emit(ctx, p, () => renderFields({ ...p }));
    },
  },
  {
    path: ["idps", "update"],
    usage: "<tenant> <id> [--client-secret <secret>] [--disable] [...]",
    summary: "Change an identity provider (what is named replaces what is stored).",
    details: "PATCH /v1/admin/tenants/{tenant}/identity-providers/{id}",
    options: OPTIONS,
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id], opts }) {
      const patch = bodyFrom(opts);
      if (Object.keys(patch).length === 0) throw new UsageError("nothing to change", "idps update");
      const p = expectFields(await ctx.http.request<Idp>("PATCH", path(tenant, id), patch), ["id"], "PATCH identity-provider");
      emit(ctx, p, () => `Updated identity provider ${p.id}.\n\n${renderFields(fields(p))}`);
    },
  },
  {
    path: ["idps", "delete"],
    usage: "<tenant> <id>",
    summary: "Delete an identity provider; every identity linked through it is unlinked.",
    details: "DELETE /v1/admin/tenants/{tenant}/identity-providers/{id}",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, id] }) {
      const r = await ctx.http.request<unknown>("DELETE", path(tenant, id));
      emit(ctx, r ?? { id, deleted: true }, () => `Deleted identity provider ${id}.`);
    },
  },
];
