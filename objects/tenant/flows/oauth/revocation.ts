/**
 * @module Revocation by an OAuth client (RFC 7009 section 2.1): the client authenticates (a
 * public client by its client_id), and a token issued to it ends its grant: refresh token or
 * access token alike, since a grant has one chain. The Warden session and the other grants go
 * on. A token that is not this client's, unknown or already dead: 200 and nothing changes
 * (section 2.2), so a client learns nothing about others' tokens.
 */
import { audit } from "../../audit.ts";
import { authenticateClient, type PresentedClient } from "../../oauth/client-auth.ts";
import { badClient, oauthOk, withCors, type OAuthResult } from "../../oauth/errors.ts";
import { corsOrigins } from "../../clients.ts";
import { getGrant, revokeGrant } from "../../oauth/grants.ts";
import { clientOf, inspect, isActive } from "../../oauth/inspect.ts";
import type { Runtime } from "../../runtime.ts";

export async function clientRevoke(rt: Runtime, i: { client: PresentedClient; token: string }): Promise<OAuthResult<Record<string, never>>> {
  const b = await rt.begin();
  if (!b.ok) return badClient();
  const ctx = b.value;
  const auth = authenticateClient(ctx.sql, i.client);
  if (!auth.ok) return auth;
  const cors = corsOrigins(auth.value);
  const t = await inspect(rt, ctx, i.token);
  if (!t || clientOf(t) !== auth.value.client_id) return withCors(oauthOk({}), cors);
  const grantId = t.grant!.id;
  rt.tx(ctx, () => {
    const g = getGrant(ctx.sql, grantId);
    if (g && isActive(ctx, t) && revokeGrant(ctx, g, "revoked")) {
      audit(ctx, { type: "grant.revoked", userId: g.user_id, sessionId: g.session_id, actor: `client:${g.client_id}`, data: { grant: g.id, via: "revoke" } });
    }
  });
  await rt.commit(ctx);
  return withCors(oauthOk({}), cors);
}
