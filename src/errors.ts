/**
 * @module The one error type of Warden and the one table from code to HTTP status.
 * Everything a route or the tenant object refuses is an `AuthError` (router) or a tagged
 * `Failure` (object RPC result); `app.onError` is the only place that turns either into a
 * response.
 */

export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  password_policy: 400,
  turnstile_required: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  mfa_required: 401,
  /** The tenant requires a second factor and the user has none yet: add a TOTP with the `mfa_token`. */
  mfa_enrollment_required: 401,
  /** A factor change needs a recent authentication (objects/tenant/step-up.ts). */
  reauth_required: 401,
  forbidden: 403,
  turnstile_failed: 403,
  not_found: 404,
  tenant_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  locked: 423,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  /** Internal between router and object: the tenant's hash policy changed; rehash and retry. */
  stale_policy: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_json: "The request body is not valid JSON.",
  invalid_request: "The request is invalid.",
  password_policy: "The password does not meet the policy.",
  turnstile_required: "A Turnstile token is required.",
  unsupported_media_type: "Content-Type must be application/json.",
  payload_too_large: "The request body is too large.",
  unauthorized: "Authentication is required.",
  invalid_credentials: "Invalid credentials.",
  invalid_token: "The token is invalid, expired or revoked.",
  mfa_required: "A second factor is required.",
  mfa_enrollment_required: "This tenant requires a second factor: add one to finish signing in.",
  reauth_required: "This change needs a recent authentication: call POST /reauth, then retry with the access token it returns.",
  forbidden: "Not allowed.",
  turnstile_failed: "The Turnstile check failed.",
  not_found: "Not found.",
  tenant_not_found: "Tenant not found.",
  method_not_allowed: "Method not allowed.",
  conflict: "Already exists.",
  locked: "The account is temporarily locked.",
  rate_limited: "Too many requests.",
  internal: "Internal error.",
  unavailable: "A dependency is unavailable; try again.",
  stale_policy: "Internal error.",
};

/**
 * The serialisable shape of a refusal. Tenant-object RPC methods return it inside a
 * `Result` (thrown errors lose their fields across RPC); the router throws it as AuthError.
 */
export interface Failure {
  code: ErrorCode;
  message?: string;
  details?: unknown[];
  /** Seconds, for `Retry-After` on 423 and 429. */
  retryAfter?: number;
  /** Extra fields placed on the error object (e.g. `mfa_token`, `methods`). */
  extra?: Record<string, unknown>;
  /** A `WWW-Authenticate` challenge (RFC 6750 section 3), e.g. `Bearer error="insufficient_scope"`. */
  challenge?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message?: string, more?: Omit<Failure, "code" | "message">): { ok: false; error: Failure } => ({
  ok: false,
  error: { code, message, ...more },
});

export class AuthError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown[];
  readonly retryAfter?: number;
  readonly extra?: Record<string, unknown>;
  readonly challenge?: string;

  constructor(code: ErrorCode, message?: string, more?: Omit<Failure, "code" | "message">) {
    super(message ?? DEFAULT_MESSAGE[code]);
    this.name = "AuthError";
    this.code = code;
    this.details = more?.details;
    this.retryAfter = more?.retryAfter;
    this.extra = more?.extra;
    this.challenge = more?.challenge;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static from(f: Failure): AuthError {
    return new AuthError(f.code, f.message, f);
  }

  toBody(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.details?.length) error.details = this.details;
    if (this.extra) Object.assign(error, this.extra);
    return { error };
  }
}

/** Unwraps an object RPC result, throwing its failure as an AuthError. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw AuthError.from(r.error);
}
