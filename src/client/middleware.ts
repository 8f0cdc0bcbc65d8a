/**
 * @module `wardenAuth(verifier)`: Hono middleware for a resource server. Takes the bearer
 * token (RFC 6750 section 2.1), verifies it with the client library's verifier, and either
 * sets `c.get("warden")` to its claims or answers in Warden's error shape:
 *
 * - 401 with a `WWW-Authenticate` challenge (RFC 6750 section 3) when the token is bad: a bad
 *   signature, a wrong issuer or audience, expired, revoked, inactive;
 * - 503 with `Retry-After` and no challenge when the verifier cannot tell (`unavailable`:
 *   Warden unreachable while its revocation state is unknown, under `onDisconnect`
 *   `"introspect"` or `"reject"`). Never 401 then: an RFC 6750 client takes `invalid_token`
 *   for a dead token and signs its user out, for what is an outage.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AccessTokenClaims } from "./types.ts";
import type { Verifier, InactiveReason } from "./verifier.ts";

export interface WardenVariables {
  warden: AccessTokenClaims;
}

const MESSAGES: Record<InactiveReason, string> = {
  invalid: "The access token is invalid.",
  expired: "The access token has expired.",
  revoked: "The access token has been revoked.",
  inactive: "The access token is not active.",
  unavailable: "The access token could not be verified right now.",
};

function deny(c: Context<any>, code: "unauthorized" | "invalid_token", message: string): Response {
  const challenge = code === "unauthorized" ? 'Bearer realm="warden"' : `Bearer realm="warden", error="invalid_token", error_description="${message}"`;
  return c.json({ error: { code, message } }, 401, { "WWW-Authenticate": challenge, "Cache-Control": "no-store" });
}

export interface WardenAuthOptions {
  /** Seconds in `Retry-After` of a 503. Default 5 (the subscriber's longest reconnect delay). */
  retryAfterS?: number;
}

/** Generic over the app's env, so an app with `Bindings` (a Worker) takes it as it is. */
export function wardenAuth<E extends { Variables: WardenVariables } = { Variables: WardenVariables }>(verifier: Pick<Verifier, "verify">, o: WardenAuthOptions = {}): MiddlewareHandler<E> {
  const retryAfter = String(Math.max(1, Math.ceil(o.retryAfterS ?? 5)));
  return async function wardenAuth(c, next) {
    const header = c.req.header("authorization");
    if (!header) return deny(c, "unauthorized", "Send an access token in Authorization: Bearer.");
    const token = /^Bearer ([\x21-\x7e]+)$/i.exec(header)?.[1];
    if (!token) return deny(c, "invalid_token", MESSAGES.invalid);
    const r = await verifier.verify(token);
    if (!r.active && r.reason === "unavailable") {
      return c.json({ error: { code: "unavailable", message: MESSAGES.unavailable } }, 503, { "Retry-After": retryAfter, "Cache-Control": "no-store" });
    }
    if (!r.active) return deny(c, "invalid_token", MESSAGES[r.reason]);
    c.set("warden", r.claims);
    await next();
  };
}
