/**
 * @module The provider's metadata: OpenID Connect Discovery 1.0 section 3 and RFC 8414
 * section 2, one document for both. It lists what is implemented and nothing more.
 */
import { ACCOUNT_SCOPE, GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from "../../../schema/clients.ts";
import type { TenantCtx } from "../context.ts";
import { idTokenAlgs } from "./id-token.ts";

/** The OpenID Connect scopes Warden understands (OIDC Core sections 5.4 and 11), plus the account scope. */
export const STANDARD_SCOPES = ["openid", "profile", "email", "offline_access", ACCOUNT_SCOPE] as const;

/** Claims released in ID tokens and at userinfo (OIDC Core section 5.4), by scope. */
export const CLAIMS_SUPPORTED = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "at_hash", "azp", "email", "email_verified", "preferred_username", "updated_at"];

export function providerMetadata(ctx: Pick<TenantCtx, "issuer" | "settings">): Record<string, unknown> {
  const iss = ctx.issuer;
  const clientAuth = TOKEN_ENDPOINT_AUTH_METHODS.filter((m) => m !== "none");
  const doc: Record<string, unknown> = {
    issuer: iss,
    authorization_endpoint: `${iss}/oauth/authorize`,
    token_endpoint: `${iss}/oauth/token`,
    userinfo_endpoint: `${iss}/oauth/userinfo`,
    jwks_uri: `${iss}/.well-known/jwks.json`,
    end_session_endpoint: `${iss}/oauth/logout`,
    revocation_endpoint: `${iss}/revoke`,
    introspection_endpoint: `${iss}/introspect`,
    scopes_supported: [...STANDARD_SCOPES],
    response_types_supported: ["code"],
    response_modes_supported: ["query", "form_post"],
    grant_types_supported: [...GRANT_TYPES],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: idTokenAlgs(),
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    // Public clients revoke their own tokens with just their client_id (RFC 7009 section 2.1).
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: clientAuth,
    code_challenge_methods_supported: ["S256"],
    claims_supported: CLAIMS_SUPPORTED,
    prompt_values_supported: ["none", "login", "consent"],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    // RFC 9207: the authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  };
  if (ctx.settings.oauth.dynamic_registration.enabled) doc.registration_endpoint = `${iss}/oauth/register`;
  return doc;
}
