/**
 * @module Operator flows on the tenant's OAuth clients: register, list, show, update (a
 * partial object merged over the stored metadata, validated whole), delete (ends every grant
 * of the client) and rotate the secret. Open to the admin and to the tenant's `manage` keys.
 * Metadata is validated here, once, for the admin API and dynamic registration alike.
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { clientMetadataSchema, type ClientMetadata } from "../../../schema/clients.ts";
import { deepMerge } from "../../../schema/settings.ts";
import { audit } from "../audit.ts";
import type { RequestMeta } from "../context.ts";
import { deleteClient, getClient, insertClient, isPublicClient, listClients as allClients, rotateClientSecret, toPublicClient, updateClient, type PublicClient } from "../clients.ts";
import { endGrantsOfClient } from "../oauth/grants.ts";
import { idTokenKey } from "../oauth/id-token.ts";
import { beginAs, type Operator } from "../operator.ts";
import type { Runtime } from "../runtime.ts";

const noSuchClient = () => fail("not_found", "No such client.");

/** The metadata schema for this deployment (development accepts loopback http anywhere). */
export const metadataSchemaFor = (rt: Runtime, selfRegistered = false) => clientMetadataSchema({ development: rt.bindings.ENVIRONMENT === "development", selfRegistered });

/** Validates metadata against the schema; issues → invalid_request with details. */
export function validateMetadata(rt: Runtime, raw: unknown, o: { selfRegistered?: boolean } = {}): Result<ClientMetadata> {
  const parsed = metadataSchemaFor(rt, o.selfRegistered).safeParse(raw);
  if (!parsed.success) return fail("invalid_request", "Invalid client metadata.", { details: parsed.error.issues.map((x) => ({ path: x.path.map(String).join("."), code: x.code, message: x.message })) });
  return ok(parsed.data);
}

export async function createClient(rt: Runtime, i: { by: Operator; metadata: unknown; meta: RequestMeta }): Promise<Result<PublicClient>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const m = validateMetadata(rt, i.metadata);
  if (!m.ok) return m;
  // The ID-token key exists before the first code is redeemed, and before it is in any JWKS cache.
  await idTokenKey(rt, ctx, m.value.id_token_signed_response_alg);
  const r = rt.tx(ctx, () => {
    const c = insertClient(ctx.sql, m.value, ctx.now, { dynamic: false });
    audit(ctx, { type: "client.created", actor, meta: i.meta, data: { client_id: c.client.client_id, public: isPublicClient(c.client), first_party: c.client.first_party } });
    return toPublicClient(c.client, c.secret);
  });
  await rt.commit(ctx);
  return ok(r);
}

export async function listClients(rt: Runtime, i: { by: Operator }): Promise<Result<{ clients: PublicClient[] }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  return ok({ clients: allClients(b.value.ctx.sql).map((c) => toPublicClient(c)) });
}

export async function showClient(rt: Runtime, i: { by: Operator; clientId: string }): Promise<Result<PublicClient>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const c = getClient(b.value.ctx.sql, i.clientId);
  return c ? ok(toPublicClient(c)) : noSuchClient();
}

/** The stored metadata, as it was registered (without the row's own fields). */
function metadataOf(c: ClientMetadata & Record<string, unknown>): Record<string, unknown> {
  const { client_id: _a, client_id_issued_at: _b, secret_hash: _c, dynamic: _d, created_at: _e, updated_at: _f, ...m } = c;
  return m;
}

export async function updateClientFlow(rt: Runtime, i: { by: Operator; clientId: string; patch: Record<string, unknown>; meta: RequestMeta }): Promise<Result<PublicClient>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const before = getClient(ctx.sql, i.clientId);
  if (!before) return noSuchClient();
  const m = validateMetadata(rt, deepMerge(metadataOf(before as never), i.patch));
  if (!m.ok) return m;
  await idTokenKey(rt, ctx, m.value.id_token_signed_response_alg);
  const r = rt.tx(ctx, (): Result<PublicClient> => {
    const c = getClient(ctx.sql, i.clientId);
    if (!c) return noSuchClient();
    const u = updateClient(ctx.sql, c, m.value, ctx.now);
    audit(ctx, { type: "client.updated", actor, meta: i.meta, data: { client_id: c.client_id, fields: Object.keys(i.patch) } });
    return ok(toPublicClient(u.client, u.secret));
  });
  await rt.commit(ctx);
  return r;
}

/** Deleting a client ends every grant it holds: its tokens die at once. */
export async function deleteClientFlow(rt: Runtime, i: { by: Operator; clientId: string; meta: RequestMeta }): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<null> => {
    if (!getClient(ctx.sql, i.clientId)) return noSuchClient();
    const grants = endGrantsOfClient(ctx, i.clientId, "client_deleted");
    deleteClient(ctx.sql, i.clientId);
    audit(ctx, { type: "client.deleted", actor, meta: i.meta, data: { client_id: i.clientId, grants } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

/**
 * A new secret, shown once; the old one stops working at once. The client's machine
 * (`client_credentials`) tokens end with it: whoever held the old secret may have them. Users'
 * grants continue (their refresh tokens still need the client to authenticate).
 */
export async function rotateClientSecretFlow(rt: Runtime, i: { by: Operator; clientId: string; meta: RequestMeta }): Promise<Result<{ client_id: string; client_secret: string; client_secret_expires_at: 0 }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<{ client_id: string; client_secret: string; client_secret_expires_at: 0 }> => {
    const c = getClient(ctx.sql, i.clientId);
    if (!c) return noSuchClient();
    if (isPublicClient(c)) return fail("invalid_request", "A public client (token_endpoint_auth_method none) has no secret.");
    const secret = rotateClientSecret(ctx.sql, c, ctx.now);
    endGrantsOfClient(ctx, c.client_id, "secret_rotated", { machineOnly: true });
    audit(ctx, { type: "client.secret_rotated", actor, meta: i.meta, data: { client_id: c.client_id } });
    return ok({ client_id: c.client_id, client_secret: secret, client_secret_expires_at: 0 });
  });
  await rt.commit(ctx);
  return r;
}
