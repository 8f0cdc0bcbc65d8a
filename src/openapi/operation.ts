/**
 * @module How one API operation is described: the route, who may call it, its parameters and
 * body (the zod schemas the route validates with), its answers (zod schemas of what it sends)
 * and the error codes it can answer. `document.ts` turns the list into OpenAPI 3.1; the route
 * coverage test holds the list and the app's routes to each other.
 */
import type { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import type { OAuthErrorCode } from "../../objects/tenant/oauth/errors.ts";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** Tags, in the order the reference lists them. */
export const TAGS = {
  auth: "Sign-up, sign-in and tokens",
  account: "Email links and password reset",
  me: "The signed-in user",
  mfa: "Second factor (TOTP)",
  reauth: "Step-up",
  passkeys: "Passkeys (WebAuthn)",
  identities: "Linked identities",
  events: "Revocation events",
  oauth: "OAuth 2.1 and OpenID Connect",
  keys: "Keys and discovery",
  tenants: "Tenants (operator)",
  users: "Users (operator or manage key)",
  roles: "Roles (operator or manage key)",
  audit: "Audit (operator or manage key)",
  clients: "OAuth clients (operator or manage key)",
  idps: "Identity providers (operator or manage key)",
  service: "Service",
} as const;
export type Tag = keyof typeof TAGS;

/**
 * Who may call. `bearer`: a user's access token. `apiKey`: a tenant API key with one of the
 * scopes. `admin`: the operator's ADMIN_TOKEN. `client`: OAuth client authentication
 * (RFC 6749 section 2.3: client_secret_basic or client_secret_post; public clients send
 * client_id only). `public`: nobody in particular (rate-limited, and Turnstile where set).
 */
export type Security =
  | { kind: "public" }
  | { kind: "bearer" }
  | { kind: "apiKey"; scopes: ("introspect" | "subscribe" | "manage")[] }
  | { kind: "admin" }
  | { kind: "client" }
  /** Any of several: e.g. `POST /revoke` takes an access token, an API key or OAuth client authentication. */
  | { kind: "anyOf"; of: Security[] };

export type Media = "application/json" | "application/x-www-form-urlencoded" | "application/x-ndjson" | "text/html" | "application/jwk-set+json" | "application/jwt";

export interface Body {
  schema: z.ZodType;
  /** The media types accepted; the first is the one the example is written in. */
  media?: Media[];
  /** A route that also takes no body at all (`readOptionalBody`). */
  optional?: boolean;
  example?: unknown;
}

export interface Answer {
  description: string;
  /** No schema: no content (204, 101, 302). */
  schema?: z.ZodType;
  media?: Media;
  example?: unknown;
  /** Response headers: name → description. `Location` on redirects, `Retry-After`, … */
  headers?: Record<string, string>;
}

export interface Operation {
  /** Stable: clients generated from the document name their methods after it. */
  id: string;
  method: Method;
  /** OpenAPI template, e.g. `/v1/{tenant}/login`. */
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  security: Security;
  /** Query parameters: a zod object (the route's own where it validates one). */
  query?: z.ZodObject;
  /** Request headers the route reads (e.g. `cf-turnstile-response`): name → description. */
  headers?: Record<string, { description: string; required?: boolean }>;
  body?: Body;
  /** Successful answers by status. */
  answers: Record<number, Answer>;
  /**
   * The refusals the route itself can answer. Those every route of its kind can answer are added
   * by the document: malformed bodies (`invalid_json`, `unsupported_media_type`,
   * `payload_too_large`, `invalid_request`), a missing or bad credential (`unauthorized`,
   * `invalid_token`, `forbidden` for a key without the scope or an OAuth client's token that
   * does not reach account routes), an unknown tenant and the per-IP shield (`tenant_not_found`,
   * `rate_limited`), and `internal`. A browser endpoint (HTML answers) shows its own refusals as
   * pages: only the unknown tenant, the shield and `internal` come as JSON.
   */
  errors?: ErrorCode[];
  /** OAuth endpoints answer RFC 6749 section 5.2 errors instead of Warden's error model. */
  oauthErrors?: OAuthErrorCode[];
  /**
   * The `oauthErrors` go to OAuth clients only (a route that takes client authentication beside
   * another credential, such as RFC 7009 revocation): every other caller gets Warden's errors,
   * implied ones included, so a status may carry either model.
   */
  oauthErrorsToClientsOnly?: boolean;
  /** Only in development (the benchmark's seeding routes). */
  developmentOnly?: boolean;
  deprecated?: boolean;
}

/** Path parameter descriptions, by name; every `{name}` in a path must have one. */
export const PATH_PARAMS: Record<string, { description: string; pattern?: string }> = {
  tenant: { description: "The tenant's slug.", pattern: "^[a-z0-9][a-z0-9-]{1,62}$" },
  slug: { description: "The tenant's slug.", pattern: "^[a-z0-9][a-z0-9-]{1,62}$" },
  id: { description: "The resource's id." },
  sid: { description: "A session id." },
  passkey: { description: "A passkey id." },
  role: { description: "A role name." },
  name: { description: "A role name." },
  client_id: { description: "An OAuth client id." },
};
