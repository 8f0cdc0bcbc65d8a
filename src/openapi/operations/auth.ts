/** @module Operations: sign-up, sign-in, refresh, sign-out, RFC 7009 revocation, RFC 7662 introspection, the JWKS, health. */
import { z } from "zod";
import { loginBody, refreshBody, signupBody, tokenBody } from "../../../schema/requests.ts";
import { TokenResponse } from "../../../schema/answers/common.ts";
import { Empty, Introspection, Jwks } from "../../../schema/answers/auth.ts";
import type { Operation } from "../operation.ts";

const turnstile = { "cf-turnstile-response": { description: "A Turnstile token, when the tenant requires one (`turnstile` setting)." } };
const tokens = { description: "Signed in: a new session.", schema: TokenResponse, headers: { "Cache-Control": "no-store" } };
const signedOut = { description: "Done; the session's tokens are dead everywhere at once." };

export const authOperations: Operation[] = [
  {
    id: "getHealth",
    method: "get",
    path: "/health",
    tag: "service",
    summary: "Liveness",
    security: { kind: "public" },
    answers: { 200: { description: "The Worker answers.", schema: z.object({ status: z.literal("healthy"), message: z.string() }), example: { status: "healthy", message: "API is running" } } },
  },
  {
    id: "getOpenApiDocument",
    method: "get",
    path: "/openapi.json",
    tag: "service",
    summary: "This document",
    description: "OpenAPI 3.1, generated from the schemas the routes validate with. A reference page rendered from it is at `/docs`.",
    security: { kind: "public" },
    answers: { 200: { description: "The OpenAPI document.", schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }) } },
  },
  {
    id: "signUp",
    method: "post",
    path: "/v1/{tenant}/signup",
    tag: "auth",
    summary: "Create an account with a password",
    description: "Email or username (or both) and a password that meets the tenant's policy. Answers the first session's tokens. With the tenant's `mfa.required` the account is created and the answer is 401 `mfa_enrollment_required`: the first session comes with a TOTP (`POST /login/mfa/totp`, then `POST /login/mfa`).",
    security: { kind: "public" },
    headers: turnstile,
    body: { schema: signupBody, example: { email: "ada@example.com", password: "correct horse battery staple" } },
    answers: { 201: { ...tokens, description: "The account and its first session." } },
    errors: ["password_policy", "conflict", "forbidden", "mfa_enrollment_required", "turnstile_required", "turnstile_failed", "unavailable"],
  },
  {
    id: "logIn",
    method: "post",
    path: "/v1/{tenant}/login",
    tag: "auth",
    summary: "Sign in with a password",
    description: "`login` is an email address or a username. An account with a second factor answers 401 `mfa_required` with an `mfa_token` for `POST /login/mfa`. With the tenant's `mfa.required`, an account without a second factor answers 401 `mfa_enrollment_required` instead: add a TOTP with its `mfa_token` (`POST /login/mfa/totp`), then `POST /login/mfa`.",
    security: { kind: "public" },
    headers: turnstile,
    body: { schema: loginBody, example: { login: "ada@example.com", password: "correct horse battery staple" } },
    answers: { 200: tokens },
    errors: ["invalid_credentials", "mfa_required", "mfa_enrollment_required", "locked", "forbidden", "turnstile_required", "turnstile_failed", "unavailable"],
  },
  {
    id: "refresh",
    method: "post",
    path: "/v1/{tenant}/refresh",
    tag: "auth",
    summary: "Rotate a refresh token",
    description: "Answers a new access token and a new refresh token; the one sent is spent. Sending a spent one again ends the session (reuse detection).",
    security: { kind: "public" },
    body: { schema: refreshBody, media: ["application/json", "application/x-www-form-urlencoded"], example: { refresh_token: "rt_…" } },
    answers: { 200: { ...tokens, description: "The session, refreshed." } },
    errors: ["invalid_token"],
  },
  {
    id: "logOut",
    method: "post",
    path: "/v1/{tenant}/logout",
    tag: "auth",
    summary: "End this session",
    security: { kind: "bearer" },
    answers: { 204: signedOut },
    // An OAuth client's token without account access (objects/tenant/bearer.ts `accountAccess`).
    errors: ["forbidden"],
  },
  {
    id: "logOutAll",
    method: "post",
    path: "/v1/{tenant}/logout-all",
    tag: "auth",
    summary: "End every session of the user",
    security: { kind: "bearer" },
    answers: { 204: signedOut },
    // An OAuth client's token without account access (objects/tenant/bearer.ts `accountAccess`).
    errors: ["forbidden"],
  },
  {
    id: "revokeToken",
    method: "post",
    path: "/v1/{tenant}/revoke",
    tag: "auth",
    summary: "Revoke a token (RFC 7009)",
    description:
      "An access or refresh token ends its session. OAuth clients authenticate as clients (form body, RFC 6749 section 2.3) and get RFC 6749 errors; anyone else sends JSON or a form. 200 whether or not the token was valid (RFC 7009 section 2.2).",
    security: { kind: "anyOf", of: [{ kind: "public" }, { kind: "client" }] },
    body: { schema: tokenBody, media: ["application/json", "application/x-www-form-urlencoded"], example: { token: "rt_…", token_type_hint: "refresh_token" } },
    answers: { 200: { description: "Revoked, or was not valid.", schema: Empty, example: {} } },
    oauthErrors: ["invalid_request", "invalid_client"],
    oauthErrorsToClientsOnly: true,
  },
  {
    id: "introspectToken",
    method: "post",
    path: "/v1/{tenant}/introspect",
    tag: "auth",
    summary: "Introspect a token (RFC 7662)",
    description: "With an API key that has the `introspect` scope, or as an OAuth client (form body). Answered from live state: a revoked session, a disabled user or a changed secret version is `active: false` at once.",
    security: { kind: "anyOf", of: [{ kind: "apiKey", scopes: ["introspect"] }, { kind: "client" }] },
    body: { schema: tokenBody, media: ["application/json", "application/x-www-form-urlencoded"], example: { token: "eyJhbGciOiJFZERTQSJ9…" } },
    answers: { 200: { description: "The token's state now.", schema: Introspection, example: { active: false } } },
    oauthErrors: ["invalid_request", "invalid_client"],
    oauthErrorsToClientsOnly: true,
  },
  {
    id: "getJwks",
    method: "get",
    path: "/v1/{tenant}/.well-known/jwks.json",
    tag: "keys",
    summary: "The tenant's public signing keys (RFC 7517)",
    security: { kind: "public" },
    answers: { 200: { description: "Current and recently retired public keys. Cached for 300 s.", schema: Jwks, headers: { "Cache-Control": "public, max-age=300" } } },
  },
];
