/**
 * @module Client authentication at the token, revocation and introspection endpoints
 * (RFC 6749 section 2.3, OAuth 2.1 section 2.4). The router extracts what was presented
 * (HTTP Basic, already form-decoded per section 2.3.1, or the body); here it is checked
 * against the registered client: the method must be the one the client registered
 * (RFC 7591 section 2), the secret must match in constant time. Unknown client, wrong
 * method and wrong secret are the same `invalid_client`.
 */
import type { TokenEndpointAuthMethod } from "../../../schema/clients.ts";
import { getClient, isPublicClient, secretMatches, type ClientRow } from "../clients.ts";
import { badClient, oauthOk, type OAuthResult } from "./errors.ts";

export interface PresentedClient {
  method: TokenEndpointAuthMethod;
  clientId: string;
  secret: string | null;
}

export function authenticateClient(sql: SqlStorage, p: PresentedClient): OAuthResult<ClientRow> {
  const c = getClient(sql, p.clientId);
  if (!c || c.token_endpoint_auth_method !== p.method) return badClient();
  if (isPublicClient(c)) return p.secret === null ? oauthOk(c) : badClient();
  if (p.secret === null || !secretMatches(c, p.secret)) return badClient();
  return oauthOk(c);
}
