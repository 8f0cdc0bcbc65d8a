/**
 * @module The userinfo action (OpenID Connect Core 1.0 section 5.3): a client's live access
 * token with the `openid` scope gets the user's claims by scope (section 5.4): `email`,
 * `email_verified`, `preferred_username`, `updated_at`. Bearer errors per RFC 6750 section
 * 3.1. Also the CORS check for preflight requests, which carry no credentials.
 */
import { corsOrigins, listClients } from "../../clients.ts";
import { userClaims } from "../../oauth/claims.ts";
import { oauthFail, oauthOk, withCors, type OAuthResult } from "../../oauth/errors.ts";
import { getClient } from "../../clients.ts";
import type { Runtime } from "../../runtime.ts";
import { checkLive } from "../../tokens.ts";

export async function userinfo(rt: Runtime, i: { accessToken: string }): Promise<OAuthResult<Record<string, unknown>>> {
  const b = await rt.begin();
  if (!b.ok) return oauthFail("invalid_token", "Unknown tenant.");
  const ctx = b.value;
  const claims = await rt.verifyAccess(ctx, i.accessToken);
  if (!claims || typeof claims.client_id !== "string") return oauthFail("invalid_token", "The access token is invalid, expired or revoked.");
  const client = getClient(ctx.sql, claims.client_id);
  const cors = client ? corsOrigins(client) : [];
  const p = checkLive(ctx, claims);
  if (!p.ok) return withCors(oauthFail("invalid_token", "The access token is invalid, expired or revoked."), cors);
  const scopes = claims.scope.split(" ");
  if (!scopes.includes("openid")) return withCors(oauthFail("insufficient_scope", "The access token lacks the openid scope."), cors);
  return withCors(oauthOk({ sub: p.value.user.id, ...userClaims(p.value.user, scopes) }), cors);
}

/** Preflight: may `origin` call the CORS-enabled OAuth endpoints? Yes when a public client of the tenant runs there. */
export async function corsAllowed(rt: Runtime, i: { origin: string }): Promise<boolean> {
  const b = await rt.begin();
  if (!b.ok) return false;
  return listClients(b.value.sql).some((c) => corsOrigins(c).includes(i.origin));
}
