/**
 * @module The OAuth endpoints' side of the wire: form bodies (RFC 6749 section 3.2:
 * `application/x-www-form-urlencoded`, each parameter at most once), client credentials as
 * presented (RFC 6749 section 2.3.1: HTTP Basic with form-encoded id and secret, or the
 * body), and OAuth error responses (section 5.2) with `Cache-Control: no-store`.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { AuthError } from "../../errors.ts";
import { readLimited, MAX_BODY } from "../../http/body.ts";
import type { PresentedClient } from "../../../objects/tenant/oauth/client-auth.ts";
import { OAUTH_STATUS, type OAuthErrorCode, type OAuthFailure, type OAuthResult } from "../../../objects/tenant/oauth/errors.ts";

/** Thrown by the router's OAuth code; the OAuth sub-app's error handler answers it. */
export class OAuthError extends Error {
  constructor(
    readonly failure: OAuthFailure,
    /** The scheme of the credentials that failed, for `WWW-Authenticate` on a 401. */
    readonly scheme: "Basic" | "Bearer" | null = null,
  ) {
    super(failure.error_description);
  }
}

export const oauthError = (error: OAuthErrorCode, description: string, scheme: "Basic" | "Bearer" | null = null) =>
  new OAuthError({ error, error_description: description }, scheme);

export function oauthErrorResponse(f: OAuthFailure, scheme: "Basic" | "Bearer" | null, extraHeaders: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json", "Cache-Control": "no-store", Pragma: "no-cache", ...extraHeaders };
  const status = OAUTH_STATUS[f.error];
  // RFC 6749 section 5.2: a 401 carries a challenge in the scheme the client used (Basic by default).
  if (status === 401) headers["WWW-Authenticate"] = scheme === "Bearer" ? `Bearer error="${f.error}"` : `Basic realm="warden", charset="UTF-8"`;
  if (f.error === "insufficient_scope") headers["WWW-Authenticate"] = `Bearer error="insufficient_scope"`;
  if (f.retryAfter !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(f.retryAfter)));
  return new Response(JSON.stringify({ error: f.error, error_description: f.error_description }), { status, headers });
}

/** The sub-app's error handler: OAuth errors as they are, Warden errors (413, 415, ...) in OAuth's format. */
export function onOAuthError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof OAuthError) return oauthErrorResponse(err.failure, err.scheme);
  if (err instanceof AuthError && err.code !== "stale_policy" && err.status < 500) {
    const r = oauthErrorResponse({ error: err.status === 401 ? "invalid_token" : "invalid_request", error_description: err.message }, "Bearer");
    return new Response(r.body, { status: err.status, headers: r.headers });
  }
  c.get("log")?.error("unhandled", { request_id: c.get("requestId"), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  return oauthErrorResponse({ error: "server_error", error_description: "Internal error." }, null);
}

/** A form body: the right media type, UTF-8, bounded, and no parameter twice (RFC 6749 section 3.2). */
export async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw oauthError("invalid_request", "The body must be application/x-www-form-urlencoded.");
  const bytes = await readLimited(c.req.raw, MAX_BODY);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw oauthError("invalid_request", "The body is not valid UTF-8.");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in out) throw oauthError("invalid_request", `Parameter ${JSON.stringify(k.slice(0, 64))} is repeated.`);
    if (!k.isWellFormed() || !v.isWellFormed()) throw oauthError("invalid_request", "The body contains invalid Unicode.");
    // Empty values are treated as absent (RFC 6749 section 3.1).
    if (v !== "") out[k] = v;
  }
  return out;
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential half (RFC 6749 section 2.3.1, Appendix B). */
function formDecode(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, "%20"));
  } catch {
    return null;
  }
}

/**
 * What the request presents as its client. One method only (RFC 6749 section 2.3): Basic
 * and a `client_secret` in the body together are refused; a body `client_id` beside Basic
 * must name the same client. Strips the credentials from `params`.
 */
export function presentedClient(c: Context<AppEnv>, params: Record<string, string>): PresentedClient | null {
  const h = c.req.header("authorization");
  const { client_id: bodyId, client_secret: bodySecret } = params;
  delete params.client_id;
  delete params.client_secret;
  if (h !== undefined) {
    const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(h.trim());
    if (!m) throw oauthError("invalid_client", "Unsupported Authorization header; use HTTP Basic.", "Basic");
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(m[1]), (ch) => ch.charCodeAt(0)));
    } catch {
      throw oauthError("invalid_client", "Malformed Basic credentials.", "Basic");
    }
    const colon = decoded.indexOf(":");
    const id = colon < 0 ? null : formDecode(decoded.slice(0, colon));
    const secret = colon < 0 ? null : formDecode(decoded.slice(colon + 1));
    if (!id || secret === null) throw oauthError("invalid_client", "Malformed Basic credentials.", "Basic");
    if (bodySecret !== undefined) throw oauthError("invalid_request", "Use one client authentication method, not two.");
    if (bodyId !== undefined && bodyId !== id) throw oauthError("invalid_request", "client_id differs from the authenticated client.");
    return { method: "client_secret_basic", clientId: id, secret };
  }
  if (bodySecret !== undefined) {
    if (!bodyId) throw oauthError("invalid_request", "client_secret needs client_id.");
    return { method: "client_secret_post", clientId: bodyId, secret: bodySecret };
  }
  return bodyId ? { method: "none", clientId: bodyId, secret: null } : null;
}

/** Answers an object's OAuth result: the value as no-store JSON, or the OAuth error. */
export function oauthAnswer<T>(c: Context<AppEnv>, r: OAuthResult<T>, scheme: "Basic" | "Bearer" | null, headers: Record<string, string> = {}): Response {
  if (r.cors) c.set("corsOrigins", r.cors);
  if (!r.ok) return oauthErrorResponse(r.oauth, scheme, headers);
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  return c.json(r.value as object);
}
