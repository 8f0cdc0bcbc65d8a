/**
 * @module The token action (RFC 6749 section 3.2, OAuth 2.1 section 3.2): authenticate the
 * client, then hand off to the grant's own module (`grants/`). Each grant is a flow like the
 * others: async work, one transaction, commit, then signing.
 */
import type { RequestMeta } from "../../context.ts";
import { authenticateClient, type PresentedClient } from "../../oauth/client-auth.ts";
import { badClient, oauthFail, withCors, type OAuthResult } from "../../oauth/errors.ts";
import { corsOrigins } from "../../clients.ts";
import type { Runtime } from "../../runtime.ts";
import { authorizationCodeGrant } from "./grants/authorization-code.ts";
import { clientCredentialsGrant } from "./grants/client-credentials.ts";
import { refreshTokenGrant } from "./grants/refresh-token.ts";
import type { GrantContext } from "./grants/issue.ts";

export interface TokenInput {
  /** What the request presented; null when it named no client at all. */
  client: PresentedClient | null;
  /** The form parameters, each present at most once (the router refuses repeats). */
  params: Record<string, string>;
  meta: RequestMeta;
}

/** RFC 6749 section 5.1 (plus `id_token`, OIDC Core section 3.1.3.3). */
export interface TokenAnswer {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

const GRANTS = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
} as const;

export async function token(rt: Runtime, i: TokenInput): Promise<OAuthResult<TokenAnswer>> {
  const b = await rt.begin();
  if (!b.ok) return oauthFail("invalid_request", "Unknown tenant.");
  const ctx = b.value;
  if (!i.client) return badClient();
  const auth = authenticateClient(ctx.sql, i.client);
  if (!auth.ok) return auth;
  const client = auth.value;
  return withCors(await grant(rt, ctx, client, i), corsOrigins(client));
}

async function grant(rt: Runtime, ctx: GrantContext["ctx"], client: GrantContext["client"], i: TokenInput): Promise<OAuthResult<TokenAnswer>> {
  const type = i.params.grant_type;
  if (!type) return oauthFail("invalid_request", "grant_type is required.");
  if (!(type in GRANTS)) return oauthFail("unsupported_grant_type", `Unsupported grant_type ${JSON.stringify(type.slice(0, 64))}.`);
  const grantType = type as keyof typeof GRANTS;
  // RFC 6749 section 5.2: a grant the client did not register for.
  if (!client.grant_types.includes(grantType)) return oauthFail("unauthorized_client", `The client is not registered for ${grantType}.`);
  const g: GrantContext = { rt, ctx, client, params: i.params, meta: i.meta };
  return GRANTS[grantType](g);
}
