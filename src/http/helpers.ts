/** @module Small pieces every route uses: request metadata, bearer extraction, no-store JSON. */
import type { Context } from "hono";
import { AuthError, unwrap, type Result } from "../errors.ts";
import { bearer } from "../middleware/admin-auth.ts";
import { parseIp } from "./client-ip.ts";
import type { RequestMeta } from "../../objects/tenant/context.ts";

/** `ip` is the client's address in canonical form, or null when the header holds no valid address. */
export function meta(c: Context): RequestMeta {
  return { ip: parseIp(c.req.header("cf-connecting-ip")), userAgent: c.req.header("user-agent") ?? null };
}

/** The bearer token of a user route: none → 401 unauthorized; malformed → 401 invalid_token. */
export function accessToken(c: Context): string {
  const h = c.req.header("authorization");
  if (!h) throw new AuthError("unauthorized");
  const t = bearer(h);
  if (!t) throw new AuthError("invalid_token");
  return t;
}

/** An optional bearer token: none → null; present but malformed → 401 invalid_token. */
export function optionalAccessToken(c: Context): string | null {
  return c.req.header("authorization") === undefined ? null : accessToken(c);
}

/** JSON that must not be cached (tokens, anything user-specific). */
export function noStore(c: Context, body: unknown, status: 200 | 201 | 202 = 200): Response {
  c.header("Cache-Control", "no-store");
  return c.json(body as object, status);
}

export function noContent(c: Context): Response {
  c.header("Cache-Control", "no-store");
  return c.body(null, 204);
}

/** Unwraps an RPC result (throwing its failure) and answers it as no-store JSON. */
export async function answer<T>(c: Context, p: Promise<Result<T>>, status: 200 | 201 = 200): Promise<Response> {
  return noStore(c, unwrap(await p), status);
}
