/**
 * @module Answers of the OAuth 2.1 / OpenID Connect endpoints: the provider metadata
 * (OIDC Discovery 1.0 section 3, RFC 8414 section 2: objects/tenant/oauth/metadata.ts), the
 * token response (RFC 6749 section 5.1 with OIDC Core's `id_token`), userinfo claims
 * (OIDC Core section 5.3) and the RFC 7591 client information response, each listing every
 * field the server sends.
 */
import { z } from "zod";
import { GRANT_TYPES, ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from "../clients.ts";
import { isoTime } from "./common.ts";

const url = z.string().meta({ description: "An absolute URL under the issuer." });
const list = z.array(z.string());

export const ProviderMetadata = z
  .object({
    issuer: z.string().meta({ description: "`{PUBLIC_URL}/v1/{tenant}`." }),
    authorization_endpoint: url,
    token_endpoint: url,
    userinfo_endpoint: url,
    jwks_uri: url,
    end_session_endpoint: url,
    revocation_endpoint: url,
    introspection_endpoint: url,
    registration_endpoint: url.optional().meta({ description: "Only where the tenant enables RFC 7591 dynamic registration." }),
    scopes_supported: list,
    response_types_supported: list,
    response_modes_supported: list,
    grant_types_supported: list,
    subject_types_supported: list,
    id_token_signing_alg_values_supported: list,
    token_endpoint_auth_methods_supported: list,
    revocation_endpoint_auth_methods_supported: list,
    introspection_endpoint_auth_methods_supported: list,
    code_challenge_methods_supported: list,
    claims_supported: list,
    prompt_values_supported: list,
    claims_parameter_supported: z.boolean(),
    request_parameter_supported: z.boolean(),
    request_uri_parameter_supported: z.boolean(),
    authorization_response_iss_parameter_supported: z.boolean().meta({ description: "RFC 9207: the authorization response carries `iss`." }),
    backchannel_logout_supported: z.boolean(),
    backchannel_logout_session_supported: z.boolean(),
  })
  .meta({ id: "ProviderMetadata", description: "OpenID Connect Discovery 1.0 section 3 and RFC 8414 section 2: one document for both. It lists what is implemented and nothing more." });

export const OAuthTokenResponse = z
  .object({
    access_token: z.string().meta({ description: "A Warden access token (JWT) whose `sid` is the grant, with `client_id` and `auth_time` (RFC 9068 section 2.2)." }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    scope: z.string().meta({ description: "The granted scopes, space-separated (RFC 6749 section 3.3)." }),
    refresh_token: z.string().optional().meta({ description: "With `offline_access` (authorization_code) and on every rotation (refresh_token); never for client_credentials." }),
    id_token: z.string().optional().meta({ description: "With the `openid` scope, for a user's grant (OIDC Core section 3.1.3.3)." }),
  })
  .meta({ id: "OAuthTokenResponse", description: "RFC 6749 section 5.1, with OIDC Core's `id_token`." });

export const UserInfo = z
  .object({
    sub: z.string(),
    email: z.string().optional().meta({ description: "Under the `email` scope, when the user has one." }),
    email_verified: z.boolean().optional(),
    preferred_username: z.string().optional().meta({ description: "Under the `profile` scope, when the user has a username." }),
    updated_at: z.number().int().optional().meta({ description: "Under the `profile` scope: seconds since the epoch." }),
  })
  .meta({ id: "UserInfo", description: "OIDC Core section 5.3: the user's claims by scope (section 5.4)." });

/** RFC 7591 section 3.2.1: the registered metadata with its defaults, and the client's identifiers. */
export const ClientInformation = z
  .object({
    client_id: z.string().meta({ description: "`wc_` and 22 base64url characters." }),
    client_id_issued_at: z.number().int().meta({ description: "Seconds since the epoch." }),
    client_secret: z.string().optional().meta({ description: "Only in the answer that creates or rotates it; store it, it is not shown again." }),
    client_secret_expires_at: z.literal(0).optional().meta({ description: "Confidential clients only: 0, the secret does not expire." }),
    client_name: z.string().optional(),
    redirect_uris: list,
    post_logout_redirect_uris: list,
    grant_types: z.array(z.enum(GRANT_TYPES)),
    response_types: z.array(z.literal("code")),
    scope: z.string(),
    token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS),
    backchannel_logout_uri: z.string().optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    id_token_signed_response_alg: z.enum(ID_TOKEN_ALGS),
    logo_uri: z.string().optional(),
    client_uri: z.string().optional(),
    first_party: z.boolean().meta({ description: "A client of the tenant's operator, which skips consent; never for a self-registered one." }),
    dynamic: z.boolean().meta({ description: "Registered through RFC 7591 rather than by an operator." }),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: "ClientInformation", description: "RFC 7591 section 3.2.1 client information response." });
