/**
 * @module Operator flows on the tenant's upstream identity providers: create, list, show,
 * update (a partial object merged over the stored one, validated whole), delete (its linked
 * identities go with it). Open to the admin and to `manage` keys. Secrets are sealed before the
 * transaction and never answered.
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { utf8 } from "../../../src/crypto/bytes.ts";
import { deepMerge } from "../../../schema/settings.ts";
import { idpSchema, type IdpConfig, type IdpInput, type PublicIdp } from "../../../schema/identity-providers.ts";
import { audit } from "../audit.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { configOf, deleteProvider, getProvider, listProviders, putProvider, toPublicProvider } from "../idp/providers.ts";
import { importAppleKey } from "../idp/presets.ts";
import { beginAs, type Operator } from "../operator.ts";
import { run } from "../sql.ts";
import type { Runtime } from "../runtime.ts";

const noSuchProvider = () => fail("not_found", "No such identity provider.");

function validate(rt: Runtime, raw: unknown): Result<IdpInput> {
  const parsed = idpSchema({ development: rt.bindings.ENVIRONMENT === "development" }).safeParse(raw);
  if (!parsed.success) return fail("invalid_request", "Invalid identity provider.", { details: parsed.error.issues.map((x) => ({ path: x.path.map(String).join("."), code: x.code, message: x.message })) });
  return ok(parsed.data);
}

/** The config to store, and the secret to seal (undefined: keep the stored one). */
async function split(rt: Runtime, ctx: TenantCtx, input: IdpInput): Promise<Result<{ config: IdpConfig; sealed: string | undefined }>> {
  const { client_secret, apple, ...rest } = input;
  const config: IdpConfig = { ...rest, ...(apple ? { apple: { team_id: apple.team_id, key_id: apple.key_id } } : {}) };
  let secret = client_secret;
  if (apple?.private_key) {
    // Refused now rather than at the first sign-in: the key must be an ES256 (P-256) PKCS#8 key.
    if (!(await importAppleKey(apple.private_key).then(() => true, () => false))) return fail("invalid_request", "Invalid identity provider.", { details: [{ path: "apple.private_key", code: "custom", message: "not a PKCS#8 P-256 private key (the .p8 file)" }] });
    secret = apple.private_key;
  }
  const sealed = secret === undefined ? undefined : await rt.sealer.seal(utf8(secret), "idp-secret", ctx.slug, input.id);
  return ok({ config, sealed });
}

/**
 * An upstream provider's secrets (its client secret, Apple's signing key) are the operator's
 * alone: a tenant's `manage` key may look at and edit a provider, but not set what it signs in
 * with, so a leaked manage key cannot point the tenant's sign-in at a provider it controls with
 * credentials of its own. Checked after the caller is (a bad key is 401 whatever it sends).
 */
function operatorOnlySecrets(actor: string, body: Record<string, unknown>): Result<void> {
  if (actor === "admin") return ok(undefined);
  const apple = body.apple as { private_key?: unknown } | undefined;
  if (body.client_secret === undefined && apple?.private_key === undefined) return ok(undefined);
  return fail("forbidden", "Identity-provider secrets are set by the operator only (ADMIN_TOKEN).");
}

export async function createIdp(rt: Runtime, i: { by: Operator; body: Record<string, unknown>; meta: RequestMeta }): Promise<Result<PublicIdp>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const secrets = operatorOnlySecrets(actor, i.body);
  if (!secrets.ok) return secrets;
  const v = validate(rt, i.body);
  if (!v.ok) return v;
  const s = await split(rt, ctx, v.value);
  if (!s.ok) return s;
  if (v.value.type === "apple" && s.value.sealed === undefined) return fail("invalid_request", "Invalid identity provider.", { details: [{ path: "apple.private_key", code: "custom", message: "required" }] });
  const r = rt.tx(ctx, (): Result<PublicIdp> => {
    if (getProvider(ctx.sql, v.value.id)) return fail("conflict", "An identity provider with this id exists.");
    const p = putProvider(ctx.sql, s.value.config, s.value.sealed ?? null, ctx.now);
    audit(ctx, { type: "idp.created", actor, meta: i.meta, data: { id: p.id, type: p.type } });
    return ok(toPublicProvider(p, ctx.issuer));
  });
  await rt.commit(ctx);
  return r;
}

export async function listIdps(rt: Runtime, i: { by: Operator }): Promise<Result<{ identity_providers: PublicIdp[] }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx } = b.value;
  return ok({ identity_providers: listProviders(ctx.sql).map((p) => toPublicProvider(p, ctx.issuer)) });
}

export async function showIdp(rt: Runtime, i: { by: Operator; id: string }): Promise<Result<PublicIdp>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const p = getProvider(b.value.ctx.sql, i.id);
  return p ? ok(toPublicProvider(p, b.value.ctx.issuer)) : noSuchProvider();
}

export async function updateIdp(rt: Runtime, i: { by: Operator; id: string; patch: Record<string, unknown>; meta: RequestMeta }): Promise<Result<PublicIdp>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const secrets = operatorOnlySecrets(actor, i.patch);
  if (!secrets.ok) return secrets;
  const before = getProvider(ctx.sql, i.id);
  if (!before) return noSuchProvider();
  if ("id" in i.patch && i.patch.id !== i.id) return fail("invalid_request", "The id of a provider cannot change (it is in the callback URL).");
  if ("type" in i.patch && i.patch.type !== before.type) return fail("invalid_request", "The type of a provider cannot change; create another.");
  const v = validate(rt, deepMerge(configOf(before), i.patch));
  if (!v.ok) return v;
  const s = await split(rt, ctx, v.value);
  if (!s.ok) return s;
  const r = rt.tx(ctx, (): Result<PublicIdp> => {
    if (!getProvider(ctx.sql, i.id)) return noSuchProvider();
    const p = putProvider(ctx.sql, s.value.config, s.value.sealed, ctx.now);
    audit(ctx, { type: "idp.updated", actor, meta: i.meta, data: { id: p.id, fields: Object.keys(i.patch) } });
    return ok(toPublicProvider(p, ctx.issuer));
  });
  await rt.commit(ctx);
  return r;
}

/** Deleting a provider unlinks every identity of it: nobody signs in through it again. */
export async function deleteIdp(rt: Runtime, i: { by: Operator; id: string; meta: RequestMeta }): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<null> => {
    if (!deleteProvider(ctx.sql, i.id)) return noSuchProvider();
    const unlinked = run(ctx.sql, "DELETE FROM identities WHERE provider_id = ?", i.id);
    audit(ctx, { type: "idp.deleted", actor, meta: i.meta, data: { id: i.id, unlinked } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}
