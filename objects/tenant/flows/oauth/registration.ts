/**
 * @module RFC 7591 dynamic client registration at `{issuer}/oauth/register` (MCP clients rely
 * on it). Off unless the tenant sets `oauth.dynamic_registration.enabled`; rate-limited per
 * IP, capped in number, public clients only unless the tenant allows confidential ones, and
 * never `first_party` (that skips consent: an operator's decision). The metadata follows the
 * same schema and URI rules as the admin API. Errors are RFC 7591 section 3.2.2's.
 */
import { audit } from "../../audit.ts";
import { rateLimit } from "../../attempts.ts";
import { countDynamicClients, insertClient, toPublicClient, type PublicClient } from "../../clients.ts";
import type { RequestMeta } from "../../context.ts";
import { oauthFail, oauthOk, type OAuthResult } from "../../oauth/errors.ts";
import { idTokenKey } from "../../oauth/id-token.ts";
import type { Runtime } from "../../runtime.ts";
import { validateMetadata } from "../clients.ts";

export async function registerClient(rt: Runtime, i: { metadata: Record<string, unknown>; meta: RequestMeta }): Promise<OAuthResult<PublicClient>> {
  const b = await rt.begin();
  if (!b.ok) return oauthFail("invalid_request", "Unknown tenant.");
  const ctx = b.value;
  const dr = ctx.settings.oauth.dynamic_registration;
  if (!dr.enabled) return oauthFail("access_denied", "Dynamic client registration is not enabled for this tenant.");
  if ("first_party" in i.metadata) return oauthFail("invalid_client_metadata", "first_party cannot be self-registered.");
  // RFC 7591 defaults to client_secret_basic; where only public clients may register, the default is none.
  const raw = { ...i.metadata };
  if (raw.token_endpoint_auth_method === undefined && !dr.allow_confidential) raw.token_endpoint_auth_method = "none";
  const m = validateMetadata(rt, raw, { selfRegistered: true });
  if (!m.ok) {
    const d = (m.error.details ?? []) as { path: string; message: string }[];
    const redirect = d.find((x) => x.path.startsWith("redirect_uris") || x.path.startsWith("post_logout_redirect_uris"));
    const first = redirect ?? d[0];
    const text = first ? `${first.path}: ${first.message}` : "Invalid client metadata.";
    return oauthFail(redirect ? "invalid_redirect_uri" : "invalid_client_metadata", text);
  }
  if (m.value.token_endpoint_auth_method !== "none" && !dr.allow_confidential) return oauthFail("invalid_client_metadata", "Only public clients (token_endpoint_auth_method none) may register here.");
  await idTokenKey(rt, ctx, m.value.id_token_signed_response_alg);
  const r = rt.tx(ctx, (): OAuthResult<PublicClient> => {
    const gate = rateLimit(ctx, `rl:register:ip:${i.meta.ip ?? "unknown"}`, dr.rate_limit.limit, dr.rate_limit.window_s);
    if (!gate.ok) return oauthFail("slow_down", "Too many registrations; try again later.", gate.retryAfter ?? dr.rate_limit.window_s);
    if (countDynamicClients(ctx.sql) >= dr.max_clients) return oauthFail("access_denied", "This tenant accepts no more registrations.");
    const c = insertClient(ctx.sql, { ...m.value, first_party: false }, ctx.now, { dynamic: true });
    audit(ctx, { type: "client.created", actor: "dynamic_registration", meta: i.meta, data: { client_id: c.client.client_id, public: c.secret === null } });
    return oauthOk(toPublicClient(c.client, c.secret));
  });
  await rt.commit(ctx);
  return r;
}
