/** @module Operations: OAuth 2.1 / OpenID Connect: discovery, authorization, token, userinfo, registration, end-session, upstream identity providers. */
import { z } from "zod";
import { clientMetadataSchema } from "../../../schema/clients.ts";
import { ClientInformation, OAuthTokenResponse, ProviderMetadata, UserInfo } from "../../../schema/answers/oauth.ts";
import { authorizeParams, endSessionForm, endSessionParams, flowQuery, idpCallbackParams, idpStartQuery, tokenParams } from "../../../schema/oauth-params.ts";
import type { Answer, Operation } from "../operation.ts";
import { providerMetadata } from "../../../objects/tenant/oauth/metadata.ts";
import { settingsSchema } from "../../../schema/settings.ts";

const noStore = { "Cache-Control": "no-store", Pragma: "no-cache" };
/** The Warden refusals in front of every OAuth endpoint: the tenant middleware and the per-IP shield. */
const middleware = ["tenant_not_found", "rate_limited"] as const;

/** What `providerMetadata` answers for a tenant with the default settings, at an example issuer. */
const METADATA_EXAMPLE = providerMetadata({ issuer: "https://auth.example.com/v1/acme", settings: settingsSchema().parse({}) });

const metadata: Answer = {
  description: "The provider metadata. Cached for 300 s, readable from any origin.",
  schema: ProviderMetadata,
  headers: { "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "`*`: it holds nothing private." },
  example: METADATA_EXAMPLE,
};

// ---------------------------------------------------------------- browser endpoints

const page = (description: string): Answer => ({ description, schema: z.string(), media: "text/html" });
const redirect = (description: string): Answer => ({ description, headers: { Location: "Where the browser goes next.", "Cache-Control": "no-store" } });
/** The pages' error handler (src/routes/pages/common.ts `pageError`): every refusal inside is a page. */
const errorPages = {
  404: page("The error page: no such resource."),
  500: page("The error page: an internal error."),
  503: page("The error page: a dependency is unavailable."),
};
const AUTHORIZE_ERRORS =
  "Until the client and its redirect URI are known (unknown `client_id`, a `redirect_uri` not registered, a repeated one) the browser gets an HTML error page (400) and the client hears nothing (RFC 6749 section 4.1.2.1). After that, every refusal goes back to the client's redirect URI as `error`, `error_description`, `state` and `iss`: `invalid_request`, `unauthorized_client`, `unsupported_response_type`, `invalid_scope`, `invalid_target`, `access_denied`, `login_required`, `consent_required`, `request_not_supported`, `request_uri_not_supported`, `registration_not_supported`.";
const authorizeAnswers: Record<number, Answer> = {
  200: page("A page: sign-in, consent, or the auto-submitting form of `response_mode=form_post` (its fields are the authorization response)."),
  303: redirect("The authorization response (RFC 6749 section 4.1.2): to the client's `redirect_uri` with `code`, `state` and `iss` (RFC 9207), or with `error` (section 4.1.2.1); or on to the upstream identity provider's start."),
  400: page("The error page: the client or its redirect URI cannot be trusted with the answer, or a malformed request."),
  ...errorPages,
};
const authorizeDescription = (how: string) =>
  `${how} Needs PKCE (S256). A browser already signed in (the session cookie) that has consented, or a first-party client, gets the code at once; otherwise the sign-in or consent page carries the request. ${AUTHORIZE_ERRORS}`;

const logoutAnswers: Record<number, Answer> = {
  200: page("The confirmation page (a request Warden cannot tie to the browser's session), or the signed-out page."),
  303: redirect("Signed out: to the verified `post_logout_redirect_uri`, with `state`."),
  400: page("The error page: a bad `id_token_hint`, an unknown client, or a `post_logout_redirect_uri` not registered (never redirected to)."),
  ...errorPages,
};

const idpCallbackAnswers: Record<number, Answer> = {
  200: page("Signed in: the auto-submitting form back to the carried authorization request, the second-factor page, or the signed-in page."),
  303: redirect("Signed in: on to the carried authorization request."),
  400: page("The error page: the upstream refused, the state is unknown, used, or of another browser, or its answer did not verify."),
  409: page("An account with this email exists: sign in to it to link the identity, or the identity belongs to another account."),
  ...errorPages,
};

export const oauthOperations: Operation[] = [
  // ---------------------------------------------------------------- discovery
  {
    id: "getAuthorizationServerMetadataRoot",
    method: "get",
    path: "/.well-known/oauth-authorization-server/v1/{tenant}",
    tag: "keys",
    summary: "Authorization server metadata at the host root (RFC 8414 section 3.1)",
    description: "The issuer's path inserted after the well-known segment, where RFC 8414 clients look first. The same document as the issuer's own `/.well-known/oauth-authorization-server`.",
    security: { kind: "public" },
    answers: { 200: metadata },
  },
  {
    id: "getOpenIdConfiguration",
    method: "get",
    path: "/v1/{tenant}/.well-known/openid-configuration",
    tag: "keys",
    summary: "OpenID Connect discovery (OIDC Discovery 1.0 section 4)",
    security: { kind: "public" },
    answers: { 200: metadata },
  },
  {
    id: "getAuthorizationServerMetadata",
    method: "get",
    path: "/v1/{tenant}/.well-known/oauth-authorization-server",
    tag: "keys",
    summary: "Authorization server metadata under the issuer (RFC 8414)",
    security: { kind: "public" },
    answers: { 200: metadata },
  },

  // ---------------------------------------------------------------- token, userinfo, registration
  {
    id: "oauthToken",
    method: "post",
    path: "/v1/{tenant}/oauth/token",
    tag: "oauth",
    summary: "Token endpoint (RFC 6749 section 3.2)",
    description:
      "A form body, each parameter once. `authorization_code` (with the PKCE verifier) and `refresh_token` (rotated on every use; reuse revokes the grant) for a user's grant, `client_credentials` for a confidential machine client. The client authenticates as it registered: HTTP Basic, `client_secret_post`, or its `client_id` only when public. A public client's browser origin may read the answer (CORS).",
    security: { kind: "client" },
    body: { schema: tokenParams, media: ["application/x-www-form-urlencoded"], example: { grant_type: "authorization_code", code: "ac_…", redirect_uri: "https://app.example.com/callback", code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", client_id: "wc_…" } },
    answers: {
      200: {
        description: "RFC 6749 section 5.1.",
        schema: OAuthTokenResponse,
        headers: noStore,
        example: { access_token: "eyJhbGciOiJFZERTQSJ9…", token_type: "Bearer", expires_in: 900, scope: "openid email offline_access", refresh_token: "rt_…", id_token: "eyJhbGciOiJSUzI1NiJ9…" },
      },
    },
    oauthErrors: ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_target", "server_error"],
    errors: [...middleware],
  },
  ...(["get", "post"] as const).map(
    (method): Operation => ({
      id: method === "get" ? "getUserInfo" : "postUserInfo",
      method,
      path: "/v1/{tenant}/oauth/userinfo",
      tag: "oauth",
      summary: `UserInfo (OIDC Core section 5.3)${method === "post" ? ", by POST" : ""}`,
      description: "A client's access token with the `openid` scope, in the `Authorization` header (RFC 6750 section 2.1); the claims follow the scopes. Checked live: a revoked grant's token is refused at once. Errors are RFC 6750 section 3.1's, with `WWW-Authenticate: Bearer error=…`.",
      security: { kind: "bearer" },
      answers: { 200: { description: "The user's claims.", schema: UserInfo, headers: noStore, example: { sub: "usr_…", email: "ada@example.com", email_verified: true } } },
      oauthErrors: ["invalid_request", "invalid_token", "insufficient_scope", "server_error"],
      errors: [...middleware],
    }),
  ),
  {
    id: "registerClient",
    method: "post",
    path: "/v1/{tenant}/oauth/register",
    tag: "oauth",
    summary: "Dynamic client registration (RFC 7591)",
    description:
      "Open registration (no initial access token), off unless the tenant sets `oauth.dynamic_registration.enabled` (`access_denied` otherwise); rate-limited per IP (`slow_down`) and capped in number. Public clients only (`token_endpoint_auth_method` defaults to `none`) unless the tenant allows confidential ones; never `first_party`. The metadata follows the admin API's rules.",
    security: { kind: "public" },
    body: { schema: clientMetadataSchema({ development: false, selfRegistered: true }), example: { client_name: "My MCP client", redirect_uris: ["http://127.0.0.1/callback"] } },
    answers: {
      201: {
        description: "RFC 7591 section 3.2.1: the client as registered, with its defaults.",
        schema: ClientInformation,
        headers: { "Cache-Control": "no-store" },
        example: {
          client_id: "wc_…",
          client_id_issued_at: 1796117400,
          client_name: "My MCP client",
          redirect_uris: ["http://127.0.0.1/callback"],
          post_logout_redirect_uris: [],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid profile email offline_access",
          token_endpoint_auth_method: "none",
          id_token_signed_response_alg: "RS256",
          first_party: false,
          dynamic: true,
          created_at: "2026-12-01T09:30:00.000Z",
          updated_at: "2026-12-01T09:30:00.000Z",
        },
      },
    },
    oauthErrors: ["invalid_request", "invalid_client_metadata", "invalid_redirect_uri", "access_denied", "slow_down", "server_error"],
    errors: [...middleware],
  },

  // ---------------------------------------------------------------- browser: authorization, logout
  {
    id: "authorize",
    method: "get",
    path: "/v1/{tenant}/oauth/authorize",
    tag: "oauth",
    summary: "Authorization endpoint (RFC 6749 section 4.1.1)",
    description: authorizeDescription("A browser navigation, not an API call."),
    security: { kind: "public" },
    query: authorizeParams,
    answers: authorizeAnswers,
  },
  {
    id: "authorizeByPost",
    method: "post",
    path: "/v1/{tenant}/oauth/authorize",
    tag: "oauth",
    summary: "Authorization endpoint, by form POST (OIDC Core section 3.1.2.1)",
    description: authorizeDescription("The same parameters as a form body (anything but `application/x-www-form-urlencoded` is the 400 page)."),
    security: { kind: "public" },
    body: { schema: authorizeParams, media: ["application/x-www-form-urlencoded"] },
    answers: authorizeAnswers,
  },
  {
    id: "authorizeContinue",
    method: "get",
    path: "/v1/{tenant}/oauth/authorize/continue",
    tag: "oauth",
    summary: "Resume a carried authorization request in this browser",
    description: "The link a page (the magic-link page, the return from an upstream provider) leads to: the sealed request, resumed with whatever session this browser has now. An expired or foreign flow is the 400 page.",
    security: { kind: "public" },
    query: flowQuery,
    answers: authorizeAnswers,
  },
  {
    id: "endSession",
    method: "get",
    path: "/v1/{tenant}/oauth/logout",
    tag: "oauth",
    summary: "End the browser's session (OIDC RP-Initiated Logout 1.0)",
    description:
      "With an `id_token_hint` of the browser's own session the session ends and the browser goes to the `post_logout_redirect_uri` (exactly a registered one, else no redirect); a request Warden cannot tie to this browser's session asks the user to confirm first. Ending the session ends its grants and sends their back-channel logouts.",
    security: { kind: "public" },
    query: endSessionParams,
    answers: logoutAnswers,
  },
  {
    id: "endSessionByPost",
    method: "post",
    path: "/v1/{tenant}/oauth/logout",
    tag: "oauth",
    summary: "End the browser's session, by form POST",
    description: "The same parameters as a form body; also the confirmation page's own POST (`confirm` with its CSRF token: a bad token is the 403 page).",
    security: { kind: "public" },
    body: { schema: endSessionForm, media: ["application/x-www-form-urlencoded"] },
    answers: { ...logoutAnswers, 403: page("The error page: the confirmation's CSRF token is missing or wrong.") },
  },

  // ---------------------------------------------------------------- browser: upstream identity providers
  {
    id: "idpStart",
    method: "get",
    path: "/v1/{tenant}/idp/{id}/start",
    tag: "oauth",
    summary: "Sign in with an upstream identity provider",
    description: "Sets a fresh state cookie bound to a single-use `state`, then sends the browser to the provider's authorization endpoint (with PKCE and a nonce). `flow` carries the authorization request to resume afterwards.",
    security: { kind: "public" },
    query: idpStartQuery,
    answers: {
      303: redirect("To the upstream provider's authorization endpoint."),
      400: page("The error page: an expired flow, or the provider's discovery failed."),
      404: page("The error page: no such enabled provider."),
      500: errorPages[500],
    },
  },
  ...(["get", "post"] as const).map(
    (method): Operation => ({
      id: method === "get" ? "idpCallback" : "idpCallbackByPost",
      method,
      path: "/v1/{tenant}/idp/{id}/callback",
      tag: "oauth",
      summary: `The upstream provider's redirect back${method === "post" ? ", as form_post (Sign in with Apple)" : ""}`,
      description:
        "The provider's authorization response. The state must be this browser's (its state cookie) and unused; the code is redeemed and the ID token or profile verified. Then: signed in (a new session cookie, and on to the carried authorization request), the second factor, or a pending link to an existing account, which its owner confirms after signing in.",
      security: { kind: "public" },
      ...(method === "get" ? { query: idpCallbackParams } : { body: { schema: idpCallbackParams, media: ["application/x-www-form-urlencoded"] } }),
      answers: idpCallbackAnswers,
    }),
  ),
];
