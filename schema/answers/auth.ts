/** @module Answers of sign-in, token and key routes: RFC 7662 introspection, the JWKS. */
import { z } from "zod";

const seconds = z.number().int().meta({ description: "Seconds since the epoch." });

/**
 * RFC 7662 section 2.2, answered from live state. Inactive: `{active: false}` and nothing else.
 * Access tokens carry the user's live `ver`, `roles` and `scope`; refresh tokens their session.
 */
export const Introspection = z
  .object({
    active: z.boolean(),
    token_type: z.enum(["access_token", "refresh_token"]).optional(),
    iss: z.string().optional(),
    tid: z.string().optional().meta({ description: "The tenant's slug." }),
    jti: z.string().optional(),
    iat: seconds.optional(),
    exp: seconds.optional(),
    client_id: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    sub: z.string().optional(),
    sid: z.string().optional(),
    ver: z.number().int().optional().meta({ description: "The user's secret version now." }),
    roles: z.array(z.string()).optional(),
    scope: z.string().optional(),
    amr: z.array(z.string()).optional(),
    auth_time: seconds.optional(),
    email: z.string().nullable().optional(),
    username: z.string().nullable().optional(),
  })
  .meta({ id: "Introspection" });

/** RFC 7517 section 5. Members beyond the key's own: `use` and Warden's purpose of the key. */
export const Jwks = z
  .object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal("sig") })) })
  .meta({ id: "JWKS" });

export const Empty = z.object({}).meta({ description: "An empty JSON object." });
