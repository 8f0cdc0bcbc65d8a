/**
 * @module What Warden answers, as zod schemas: the error models and the shapes most routes
 * share (users, sessions, token responses, pages of a list). The OpenAPI document is generated
 * from these and from the request schemas; the admin CLI's types are inferred from them; the
 * end-to-end tests validate real answers against the document. A schema with an `id` becomes a
 * named component of the document.
 */
import { z } from "zod";

/** A timestamp as the API writes it: ISO 8601 in UTC with milliseconds. */
export const isoTime = z.iso.datetime({ offset: true }).meta({ description: "ISO 8601 timestamp (UTC).", examples: ["2026-12-01T09:30:00.000Z"] });

/** Warden's error model: every non-OAuth route answers a refusal this way. */
export const WardenError = z
  .object({
    error: z.looseObject({
      code: z.string().meta({ description: "Stable, machine-readable; one of the codes listed on the operation." }),
      message: z.string().meta({ description: "For people; may change." }),
      details: z
        .array(
          z.union([
            z.object({ path: z.string().meta({ description: "The field, dot-separated." }), code: z.string(), message: z.string() }),
            z.object({ reason: z.string().meta({ description: "password_policy: too_short, too_long, too_common, context_word, breached, invalid" }), min_length: z.number().int().optional() }),
          ]),
        )
        .optional()
        .meta({ description: "invalid_request: one entry per problem with the field's `path`; password_policy: the rule the password broke." }),
    }),
  })
  .meta({
    id: "Error",
    description:
      "Warden's error model. Some codes add fields to `error`: `mfa_required` and `mfa_enrollment_required` add `mfa_token` and `methods`; `reauth_required` adds `methods`; `password_policy` adds `details`. 423 and 429 carry `Retry-After`; 401 on bearer routes carries `WWW-Authenticate`.",
  });

/** RFC 6749 section 5.2 (and RFC 6750, 7009, 7591): what OAuth endpoints answer. */
export const OAuthError = z
  .object({ error: z.string(), error_description: z.string().optional(), error_uri: z.string().optional() })
  .meta({ id: "OAuthError", description: "RFC 6749 section 5.2 error response." });

export const User = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    username: z.string().nullable(),
    email_verified: z.boolean(),
    pending_email: z.string().nullable().meta({ description: "The address a `PATCH /me` asked for, until its link is used; `email` stays the login until then." }),
    status: z.enum(["active", "disabled"]),
    metadata: z.record(z.string(), z.unknown()),
    mfa_enabled: z.boolean(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: "User" });

export const Session = z
  .object({
    id: z.string(),
    created_at: isoTime,
    last_refreshed_at: isoTime,
    expires_at: isoTime,
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    amr: z.array(z.string()).meta({ description: "RFC 8176 authentication method references of the sign-in." }),
    current: z.boolean().meta({ description: "The session of the access token that asked." }),
    online: z.boolean().meta({ description: "A client of this session is connected to the events stream." }),
  })
  .meta({ id: "Session" });

export const TokenResponse = z
  .object({
    access_token: z.string().meta({ description: "An EdDSA-signed JWT." }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    session_id: z.string(),
    user: User,
  })
  .meta({ id: "TokenResponse", description: "Every sign-in, refresh, step-up and credential change answers this." });

/** A cursor page: `next_cursor` is null on the last page. */
export const page = <T extends z.ZodType>(key: string, item: T) => z.object({ [key]: z.array(item), next_cursor: z.string().nullable() });
