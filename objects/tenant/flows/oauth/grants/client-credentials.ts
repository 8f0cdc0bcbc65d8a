/**
 * @module The `client_credentials` grant (RFC 6749 section 4.4, OAuth 2.1 section 4.2): a
 * confidential machine client gets an access token for itself (`sub` = its client id) on a
 * machine grant, without a refresh token (section 4.4.3). `scope` defaults to the client's
 * registered scope without the OpenID user scopes, and may ask only for what it registered.
 */
import { ACCOUNT_SCOPE } from "../../../../../schema/clients.ts";
import { audit } from "../../../audit.ts";
import { isPublicClient } from "../../../clients.ts";
import { machineClaims } from "../../../oauth/claims.ts";
import { oauthFail, type OAuthResult } from "../../../oauth/errors.ts";
import { machineGrant } from "../../../oauth/grants.ts";
import type { TokenAnswer } from "../token.ts";
import { resourceParam, scopeParam, signAnswer, type GrantContext } from "./issue.ts";

/** Scopes about a signed-in user mean nothing for a machine. */
const USER_SCOPES = new Set(["openid", "profile", "email", "offline_access", ACCOUNT_SCOPE]);

export async function clientCredentialsGrant(g: GrantContext): Promise<OAuthResult<TokenAnswer>> {
  const { rt, ctx, client, params } = g;
  if (isPublicClient(client)) return oauthFail("unauthorized_client", "A public client cannot use client_credentials.");
  // A user-HS512 tenant signs with each user's own secret; a machine has none.
  if (ctx.settings.token_alg === "user-HS512") return oauthFail("unauthorized_client", "This tenant signs access tokens with user secrets; client_credentials is unavailable.");
  const requested = scopeParam(params);
  if (!requested.ok) return requested;
  const resource = resourceParam(params);
  if (!resource.ok) return resource;
  const allowed = client.scope.split(" ").filter((s) => !USER_SCOPES.has(s));
  const scope = requested.value ?? allowed;
  if (scope.some((s) => !allowed.includes(s))) return oauthFail("invalid_scope", "The client may not ask for that scope.");
  const claims = rt.tx(ctx, () => {
    const grant = machineGrant(ctx, client.client_id, scope, resource.value);
    audit(ctx, { type: "oauth.token", actor: `client:${client.client_id}`, meta: g.meta, data: { grant_type: "client_credentials", client_id: client.client_id, grant: grant.id } });
    return machineClaims(ctx, grant);
  });
  await rt.commit(ctx);
  return { ok: true, value: await signAnswer(g, { claims, secret: new Uint8Array(), refreshToken: null, idToken: null }) };
}
