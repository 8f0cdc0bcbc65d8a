/**
 * @module The one error the app client throws: `WardenError`, with Warden's stable `code`
 * (`invalid_credentials`, `reauth_required`, `rate_limited`, …), the OAuth code of an RFC 6749
 * endpoint (`invalid_grant`), or `network` when no answer came at all.
 */

export class WardenError extends Error {
  /** Warden's error code, an RFC 6749 error code, or `network`. */
  readonly code: string;
  /** HTTP status; 0 for `network`. */
  readonly status: number;
  readonly details?: unknown[];
  /** Seconds, from `Retry-After`. */
  readonly retryAfter?: number;
  /** The rest of the error object (e.g. `mfa_token` and `methods` of `mfa_required`). */
  readonly extra: Record<string, unknown>;

  constructor(code: string, message: string, o: { status?: number; details?: unknown[]; retryAfter?: number; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "WardenError";
    this.code = code;
    this.status = o.status ?? 0;
    this.details = o.details;
    this.retryAfter = o.retryAfter;
    this.extra = o.extra ?? {};
  }
}

/**
 * Worth retrying with the same credentials: no answer, a server error, 408 or 429. Anything
 * else is Warden's considered answer.
 */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof WardenError)) return false;
  return e.code === "network" || e.status >= 500 || e.status === 408 || e.status === 429;
}

/** The refresh token itself was refused: the only refresh outcome that ends the session. */
export function isRejectedGrant(e: unknown): boolean {
  return e instanceof WardenError && (e.code === "invalid_token" || e.code === "invalid_grant");
}

function retryAfterOf(res: Response): number | undefined {
  const h = res.headers.get("retry-after");
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s);
  const at = Date.parse(h); // RFC 9110 section 10.2.3: or an HTTP date
  return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : undefined;
}

/** Turns a non-2xx answer into a WardenError: Warden's `{error:{code,message}}` or RFC 6749's `{error, error_description}`. */
export async function errorFrom(res: Response): Promise<WardenError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page
  }
  const retryAfter = retryAfterOf(res);
  const err = (body as { error?: unknown } | null)?.error;
  if (err && typeof err === "object") {
    const { code, message, details, ...extra } = err as { code?: unknown; message?: unknown; details?: unknown };
    return new WardenError(typeof code === "string" ? code : "unknown", typeof message === "string" ? message : `HTTP ${res.status}`, {
      status: res.status,
      details: Array.isArray(details) ? details : undefined,
      retryAfter,
      extra,
    });
  }
  if (typeof err === "string") {
    const description = (body as { error_description?: unknown }).error_description;
    return new WardenError(err, typeof description === "string" ? description : err, { status: res.status, retryAfter });
  }
  return new WardenError(res.status >= 500 ? "unavailable" : "unknown", `HTTP ${res.status}`, { status: res.status, retryAfter });
}
