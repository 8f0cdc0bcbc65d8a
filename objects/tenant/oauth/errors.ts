/**
 * @module OAuth's own error model (RFC 6749 section 5.2, RFC 6750 section 3.1, RFC 7009
 * section 2.2.1, RFC 7591 section 3.2.2, RFC 8707 section 2): the tenant object's OAuth
 * actions answer a tagged result that the router turns into `{error, error_description}`.
 * The rest of the API keeps Warden's error model (src/errors.ts).
 */

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target"
  | "invalid_token"
  | "insufficient_scope"
  | "unsupported_token_type"
  | "invalid_client_metadata"
  | "invalid_redirect_uri"
  | "access_denied"
  | "slow_down"
  | "server_error";

/** HTTP status per code: 401 for client and bearer failures, 403 for scope, else 400. */
export const OAUTH_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  unsupported_token_type: 400,
  invalid_client_metadata: 400,
  invalid_redirect_uri: 400,
  access_denied: 403,
  slow_down: 429,
  server_error: 500,
};

export interface OAuthFailure {
  error: OAuthErrorCode;
  error_description: string;
  /** Seconds, for `Retry-After` (rate limits). */
  retryAfter?: number;
}

/**
 * `cors`: the origins that may read this answer (a public client's redirect URI origins), for
 * the router's per-client CORS on the token, userinfo and revocation endpoints.
 */
export type OAuthResult<T> = ({ ok: true; value: T } | { ok: false; oauth: OAuthFailure }) & { cors?: string[] };

export const oauthOk = <T>(value: T): OAuthResult<T> => ({ ok: true, value });
export const oauthFail = (error: OAuthErrorCode, error_description: string, retryAfter?: number): { ok: false; oauth: OAuthFailure } => ({
  ok: false,
  oauth: retryAfter === undefined ? { error, error_description } : { error, error_description, retryAfter },
});

/** The result with the origins of `client` allowed to read it. */
export const withCors = <T>(r: OAuthResult<T>, origins: string[]): OAuthResult<T> => ({ ...r, cors: origins });

/** Every credential failure of a client says the same thing (which part was wrong is not told). */
export const badClient = () => oauthFail("invalid_client", "Client authentication failed.");
