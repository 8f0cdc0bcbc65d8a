/**
 * @module `wardenAuth(verifier)`: Hono middleware for a resource server. Takes the bearer
 * token (RFC 6750 section 2.1), verifies it with the client library's verifier, and either
 * sets `c.get("warden")` to its claims or answers 401 in Warden's error shape with a
 * `WWW-Authenticate` challenge (RFC 6750 section 3).
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

function deny(c: Context, code: "unauthorized" | "invalid_token", message: string): Response {
  const challenge = code === "unauthorized" ? 'Bearer realm="warden"' : `Bearer realm="warden", error="invalid_token", error_description="${message}"`;
  return c.json({ error: { code, message } }, 401, { "WWW-Authenticate": challenge, "Cache-Control": "no-store" });
}

export function wardenAuth(verifier: Pick<Verifier, "verify">): MiddlewareHandler<{ Variables: WardenVariables }> {
  return async function wardenAuth(c, next) {
    const header = c.req.header("authorization");
    if (!header) return deny(c, "unauthorized", "Send an access token in Authorization: Bearer.");
    const token = /^Bearer ([\x21-\x7e]+)$/i.exec(header)?.[1];
    if (!token) return deny(c, "invalid_token", MESSAGES.invalid);
    const r = await verifier.verify(token);
    if (!r.active) return deny(c, "invalid_token", MESSAGES[r.reason]);
    c.set("warden", r.claims);
    await next();
  };
}
