/**
 * @module OAuth client metadata: one zod shape for the admin API and RFC 7591 dynamic
 * registration, with the RFC 7591 section 2 / OpenID Connect Registration section 2 names, and
 * the redirect URI rules (OAuth 2.1 section 2.3.1, RFC 8252 sections 7.1 and 7.3). The URI
 * rules depend on the environment (development accepts any loopback `http` URI), so the
 * schema is built per call, like the settings schema.
 */
import { z } from "zod";
import { checkDestination } from "../src/http/outbound.ts";

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/**
 * ID-token algorithms a client may choose. RS256 is available to every tenant (OIDC Discovery
 * section 3 requires it); EdDSA is every tenant's own key; ES256 only where the tenant signs
 * with it. Never HS256: the tenant's shared secret would let any relying party forge ID tokens
 * (OIDC Core section 10.1 allows HMAC only keyed with that client's own secret).
 */
export const ID_TOKEN_ALGS = ["RS256", "EdDSA", "ES256"] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];

/** The scope a client may ask for; tokens are `scope-token` per RFC 6749 section 3.3. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;
/** Lets a client's tokens act on Warden's own account routes (`/me`, `/sessions`, MFA, ...). */
export const ACCOUNT_SCOPE = "warden:account";
export const DEFAULT_CLIENT_SCOPE = "openid profile email offline_access";

export interface UriRules {
  /** ENVIRONMENT is "development": any loopback `http` URI is accepted. */
  development: boolean;
  /**
   * RFC 7591 dynamic registration: `logo_uri` and `client_uri` are held to the outbound rules
   * too. Redirect URIs never are: the browser follows them, not Warden, and native apps need
   * loopback ones (RFC 8252 section 7.3).
   */
  selfRegistered?: boolean;
}

const LOOPBACK_IP = new Set(["127.0.0.1", "[::1]"]);
const isLoopbackName = (host: string) => host === "localhost" || host.endsWith(".localhost") || LOOPBACK_IP.has(host);

/** RFC 8252 section 7.3: an `http` redirect to a loopback IP literal, whose port may vary. */
export function isLoopbackIpRedirect(u: URL): boolean {
  return u.protocol === "http:" && LOOPBACK_IP.has(u.hostname);
}

/** The URI parsed, or why no registered URI may be it: not absolute, a fragment, credentials. */
function absoluteUri(uri: string): URL | string {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "not an absolute URI";
  }
  if (u.hash || uri.includes("#")) return "must not contain a fragment";
  if (u.username || u.password) return "must not contain credentials";
  return u;
}

/**
 * Why `uri` cannot be a redirect URI, or null when it can. `https` anywhere; `http` only to a
 * loopback IP literal (RFC 8252 section 7.3; any loopback name in development); otherwise a
 * private-use scheme named after a domain, which has a dot (section 7.1: `com.example.app:/cb`).
 * Never a fragment (RFC 6749 section 3.1.2), never credentials in the URI.
 */
export function redirectUriProblem(uri: string, rules: UriRules): string | null {
  const u = absoluteUri(uri);
  if (typeof u === "string") return u;
  if (u.protocol === "https:") return u.hostname ? null : "needs a host";
  if (u.protocol === "http:") {
    if (isLoopbackIpRedirect(u)) return null;
    if (rules.development && isLoopbackName(u.hostname)) return null;
    return "http is allowed only for loopback redirects (http://127.0.0.1 or http://[::1])";
  }
  const scheme = u.protocol.slice(0, -1);
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return null;
  return "must be https, loopback http, or a private-use scheme in reverse domain name form";
}

/** An `https` (or, in development, loopback `http`) URL for pages and logos. */
export function webUriProblem(uri: string, rules: UriRules): string | null {
  const u = absoluteUri(uri);
  if (typeof u === "string") return u;
  if (u.protocol === "https:") return null;
  if (u.protocol === "http:" && rules.development && isLoopbackName(u.hostname)) return null;
  return "must be an https URL";
}

/**
 * A URI Warden itself sends requests to (`backchannel_logout_uri`), or, for a self-registered
 * client, shows on its pages: the outbound-request module's rules (https, no private or
 * internal hosts; development allows loopback http).
 */
export function outboundUriProblem(uri: string, rules: UriRules): string | null {
  const c = checkDestination(uri, { ENVIRONMENT: rules.development ? "development" : undefined });
  if (!c.ok) return c.message;
  return uri.includes("#") ? "must not contain a fragment" : null;
}

const uri = (check: (u: string) => string | null) =>
  z
    .string()
    .min(1)
    .max(2000)
    .superRefine((v, c) => {
      const p = check(v);
      if (p) c.addIssue({ code: "custom", message: p });
    });

/** The metadata a client is registered with (what an operator or RFC 7591 request sends). */
export function clientMetadataSchema(rules: UriRules) {
  const redirect = uri((u) => redirectUriProblem(u, rules));
  const web = uri((u) => webUriProblem(u, rules) ?? (rules.selfRegistered ? outboundUriProblem(u, rules) : null));
  const outbound = uri((u) => outboundUriProblem(u, rules));
  return z
    .strictObject({
      client_name: z.string().min(1).max(200).optional(),
      redirect_uris: z.array(redirect).max(20).default([]),
      post_logout_redirect_uris: z.array(redirect).max(20).default([]),
      grant_types: z.array(z.enum(GRANT_TYPES)).min(1).default(["authorization_code", "refresh_token"]),
      response_types: z.array(z.literal("code")).max(1).default(["code"]),
      scope: z
        .string()
        .max(2000)
        .refine((s) => s.split(" ").every((t) => SCOPE_TOKEN.test(t)), { message: "space-separated scope tokens (RFC 6749 section 3.3)" })
        .default(DEFAULT_CLIENT_SCOPE),
      token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).default("client_secret_basic"),
      backchannel_logout_uri: outbound.optional(),
      backchannel_logout_session_required: z.boolean().optional(),
      id_token_signed_response_alg: z.enum(ID_TOKEN_ALGS).default("RS256"),
      logo_uri: web.optional(),
      client_uri: web.optional(),
      /** Warden's own: a client of the tenant's operator, which skips consent. */
      first_party: z.boolean().default(false),
    })
    .superRefine((m, c) => {
      for (const [path, problem] of consistency(m)) c.addIssue({ code: "custom", path: [path], message: problem });
    });
}

export type ClientMetadata = z.infer<ReturnType<typeof clientMetadataSchema>>;

/** Rules between fields (RFC 7591 section 2.1), shared by create and update. */
export function consistency(m: ClientMetadata): [string, string][] {
  const out: [string, string][] = [];
  const g = new Set(m.grant_types);
  if (g.has("authorization_code") && m.redirect_uris.length === 0) out.push(["redirect_uris", "the authorization_code grant needs at least one redirect URI"]);
  if (g.has("refresh_token") && !g.has("authorization_code")) out.push(["grant_types", "refresh_token comes only with authorization_code"]);
  // OAuth 2.1 section 4.2: client_credentials is for confidential clients only.
  if (g.has("client_credentials") && m.token_endpoint_auth_method === "none") out.push(["grant_types", "a public client (token_endpoint_auth_method none) cannot use client_credentials"]);
  if (new Set(m.redirect_uris).size !== m.redirect_uris.length) out.push(["redirect_uris", "duplicate redirect URI"]);
  return out;
}

/** PATCH: any subset of the metadata; merged over the stored metadata, then validated whole. */
export const clientPatchSchema = z.record(z.string(), z.unknown());
