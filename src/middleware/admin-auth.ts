/** @module `Authorization: Bearer {ADMIN_TOKEN}` for the operator API, compared in constant time. */
import type { MiddlewareHandler } from "hono";
import { AuthError } from "../errors.ts";
import { sha256B64 } from "../crypto/digest.ts";
import { utf8 } from "../crypto/bytes.ts";
import { timingSafeEqual } from "../crypto/timing-safe-equal.ts";
import type { AppEnv } from "../app-env.ts";

export function bearer(header: string | undefined): string | null {
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(header ?? "");
  return m ? m[1] : null;
}

/** Digests first, so the comparison's time does not depend on the token's length either. */
export function isAdminToken(presented: string | null, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return timingSafeEqual(utf8(sha256B64(presented)), utf8(sha256B64(expected)));
}

export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const token = bearer(c.req.header("authorization"));
    if (!token) throw new AuthError("unauthorized");
    if (!isAdminToken(token, c.env.ADMIN_TOKEN)) throw new AuthError("invalid_token", "Invalid admin token.");
    await next();
  };
}
