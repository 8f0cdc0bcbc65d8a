/**
 * @module The parameters of OAuth's browser endpoints and of the token endpoint, as zod shapes for
 * the OpenAPI document. These endpoints do not parse with zod: their refusals have to be RFC 6749's
 * (a redirect back to the client, or an error page before the client is known), so the checks are
 * objects/tenant/oauth/authorize-checks.ts, flows/oauth/grants/*, flows/end-session.ts and
 * flows/idp.ts, in the order those sections prescribe. Keep these in step with them.
 */
import { z } from "zod";

const s = (description: string) => z.string().optional().meta({ description });

/** RFC 6749 section 4.1.1, OAuth 2.1 section 4.1.1, OIDC Core section 3.1.2.1; each parameter at most once. */
export const authorizeParams = z.object({
  response_type: z.literal("code").meta({ description: "Only `code`." }),
  client_id: z.string(),
  redirect_uri: z.string().meta({ description: "Exactly a registered redirect URI (a loopback `http` one may differ in port, RFC 8252 section 7.3)." }),
  scope: z.string().meta({ description: "Space-separated; `openid` for an ID token, `offline_access` for a refresh token." }),
  state: s("Returned unchanged in the authorization response (at most 1024 characters)."),
  code_challenge: z.string().meta({ description: "PKCE (RFC 7636): base64url of the SHA-256 of the verifier, 43 characters." }),
  code_challenge_method: z.literal("S256"),
  nonce: s("Copied into the ID token (at most 1024 characters)."),
  response_mode: z.enum(["query", "form_post"]).optional().meta({ description: "`query` (a 303 redirect; the default) or `form_post` (an auto-submitting form, OAuth 2.0 Form Post Response Mode)." }),
  prompt: s("Space-separated: `none`, `login`, `consent` (`none` alone)."),
  max_age: s("Seconds: an older sign-in signs in again."),
  login_hint: s("Prefills the sign-in page (at most 1024 characters)."),
  resource: s("RFC 8707: the access token's audience, an absolute URI without a fragment."),
  idp: s("An enabled identity provider of the tenant: skip the sign-in page and go to it."),
});

/** RFC 6749 sections 4.1.3, 6 and 4.4.2 (one form; which fields count depends on `grant_type`). */
export const tokenParams = z.object({
  grant_type: z.enum(["authorization_code", "refresh_token", "client_credentials"]),
  code: s("authorization_code: the code from the authorization response."),
  redirect_uri: s("authorization_code: the redirect URI of the authorization request."),
  code_verifier: s("authorization_code: the PKCE verifier (RFC 7636 section 4.5)."),
  refresh_token: s("refresh_token: the current refresh token; it is spent, and sending it again revokes the grant."),
  scope: s("refresh_token: a narrower scope; client_credentials: the scope asked for."),
  resource: s("RFC 8707 resource indicator: the access token's audience."),
  client_id: s("client_secret_post, or a public client (`none`)."),
  client_secret: s("client_secret_post."),
});

/** OpenID Connect RP-Initiated Logout 1.0 section 2. */
export const endSessionParams = z.object({
  id_token_hint: s("An ID token Warden issued to the client (expired ones count): whose session to end."),
  client_id: s("The client, when there is no `id_token_hint`."),
  post_logout_redirect_uri: s("Exactly a registered `post_logout_redirect_uris` entry of that client."),
  state: s("Added to the redirect."),
});

/** The confirmation page's POST: the same parameters, its CSRF token and `confirm`. */
export const endSessionForm = endSessionParams.extend({
  confirm: s("Present on the confirmation page's own POST: the user's yes."),
  csrf: s("The confirmation page's CSRF token; required with `confirm`."),
});

/** The upstream provider's authorization response (RFC 6749 section 4.1.2 / 4.1.2.1, OIDC Core section 3.1.2.5). */
export const idpCallbackParams = z.object({
  code: s("The upstream's authorization code."),
  state: z.string().meta({ description: "The single-use state Warden sent, bound to this browser's state cookie." }),
  error: s("The upstream's refusal (RFC 6749 section 4.1.2.1): the sign-in is refused."),
  iss: s("RFC 9207: the upstream's issuer, checked when present."),
});

export const flowQuery = z.object({ flow: z.string().meta({ description: "The sealed authorization request a page carries." }) });
export const idpStartQuery = z.object({ flow: s("The sealed authorization request to resume afterwards; absent for a plain sign-in.") });
