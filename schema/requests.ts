/**
 * @module Request bodies of every route, as strict zod objects: an unknown field is an error.
 * Identifier and password rules that need normalisation run in the routes (schema/identifiers,
 * src/crypto/password-policy); these schemas bound sizes and types.
 */
import { z } from "zod";

const str = (max: number) => z.string().min(1).max(max);
/** Metadata: a JSON object of at most 8 KiB once serialised. */
export const metadataSchema = z
  .record(z.string().max(128), z.unknown())
  .refine((m) => new TextEncoder().encode(JSON.stringify(m)).length <= 8192, { message: "metadata must serialise to at most 8 KiB" });

const password = z.string().max(4096);

export const signupBody = z
  .strictObject({ email: str(320).optional(), username: str(256).optional(), password, metadata: metadataSchema.optional() })
  .refine((b) => b.email !== undefined || b.username !== undefined, { message: "email or username is required", path: ["email"] });

export const loginBody = z.strictObject({ login: str(320), password });

// ---- WebAuthn credentials, as `PublicKeyCredential.toJSON()` serialises them (WebAuthn L3
// section 5.1.8). Loose objects: browsers add members (`publicKey`, `publicKeyAlgorithm`, …),
// which are ignored; what Warden reads is bounded and must be base64url.
const b64u = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, "must be base64url without padding");
const credential = {
  /** A credential id is at most 1023 bytes (L3 section 4). */
  id: b64u(1366),
  rawId: b64u(1366),
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).nullable().optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};
export const registrationResponse = z.looseObject({
  ...credential,
  response: z.looseObject({
    clientDataJSON: b64u(4096),
    attestationObject: b64u(8192),
    transports: z.array(z.string().max(32)).max(8).optional(),
  }),
});
export const authenticationResponse = z.looseObject({
  ...credential,
  response: z.looseObject({
    clientDataJSON: b64u(4096),
    authenticatorData: b64u(2048),
    signature: b64u(2048),
    userHandle: b64u(128).nullable().optional(),
  }),
});
const passkeyName = z.string().trim().min(1).max(64);

export const loginMfaBody = z
  .strictObject({ mfa_token: str(128), code: str(64).optional(), webauthn: authenticationResponse.optional() })
  .refine((b) => (b.code === undefined) !== (b.webauthn === undefined), { message: "exactly one of code, webauthn" });
export const mfaTokenBody = z.strictObject({ mfa_token: str(128) });
export const registerVerifyBody = z.strictObject({ response: registrationResponse, name: passkeyName.optional() });
export const renamePasskeyBody = z.strictObject({ name: passkeyName });
export const passkeyLoginOptionsBody = z.strictObject({ login: str(320).optional() });
export const passkeyLoginBody = z.strictObject({ response: authenticationResponse });
export const passkeySignupOptionsBody = z
  .strictObject({ email: str(320).optional(), username: str(256).optional(), metadata: metadataSchema.optional() })
  .refine((b) => b.email !== undefined || b.username !== undefined, { message: "email or username is required", path: ["email"] });
export const passkeySignupBody = z.strictObject({ response: registrationResponse, name: passkeyName.optional() });
export const refreshBody = z.strictObject({ refresh_token: str(512) });

/** `current_password` is an inline step-up proof: optional after a recent `POST /reauth`, required for a new password when the account has one. */
export const patchMeBody = z
  .strictObject({
    current_password: password.optional(),
    new_password: password.optional(),
    new_username: str(256).optional(),
    new_email: str(320).optional(),
    metadata: metadataSchema.optional(),
  })
  .refine((b) => b.new_password !== undefined || b.new_username !== undefined || b.new_email !== undefined || b.metadata !== undefined, {
    message: "nothing to change",
  });

export const passwordBody = z.strictObject({ password });
/** DELETE /me, DELETE /mfa/totp: the password is an inline step-up proof, optional after a recent `POST /reauth`. */
export const optionalPasswordBody = z.strictObject({ password: password.optional() });
/** `POST /reauth`: exactly one proof (`webauthn`: an assertion for `POST /reauth/webauthn/options`). */
export const reauthBody = z
  .strictObject({ password: password.optional(), code: str(64).optional(), magic_link_token: str(128).optional(), webauthn: authenticationResponse.optional() })
  .refine((b) => [b.password, b.code, b.magic_link_token, b.webauthn].filter((x) => x !== undefined).length === 1, {
    message: "exactly one of password, code, magic_link_token, webauthn",
  });
export const tokenBody = z.strictObject({ token: str(8192), token_type_hint: z.enum(["access_token", "refresh_token"]).optional() });
export const emailBody = z.strictObject({ email: str(320) });
export const resetBody = z.strictObject({ token: str(128), new_password: password });
export const codeBody = z.strictObject({ code: str(64) });
export const oneTimeTokenBody = z.strictObject({ token: str(128) });

export const SLUG_RE = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const RESERVED_SLUGS = new Set(["admin", "health", "v1", ".well-known"]);

export const createTenantBody = z.strictObject({
  slug: z.string().regex(SLUG_RE, "slug must match ^[a-z0-9][a-z0-9-]{1,62}$").refine((s) => !RESERVED_SLUGS.has(s), { message: "slug is reserved" }),
  name: str(200),
  settings: z.record(z.string(), z.unknown()).optional(),
});

export const patchTenantBody = z
  .strictObject({ name: str(200).optional(), settings: z.record(z.string(), z.unknown()).optional() })
  .refine((b) => b.name !== undefined || b.settings !== undefined, { message: "nothing to change" });

export const createApiKeyBody = z.strictObject({
  name: str(100),
  scopes: z.array(z.enum(["introspect", "subscribe", "manage"])).min(1).max(3),
});

export const listQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/**
 * `GET /events` (the WebSocket upgrade, objects/tenant/flows/subscribers.ts `admit`). Not
 * strict: the socket library reads parameters of its own, which are ignored here.
 */
export const eventsQuery = z.object({
  since: z.string().regex(/^\d{1,15}$/, "`since` must be a non-negative integer.").optional().meta({ description: "Replay every retained event after this `seq` before any live one." }),
  format: z.enum(["json", "set"], "`format` must be `json` or `set`.").optional().meta({ description: "`json` (the default) or `set`: each event as a Security Event Token (RFC 8417)." }),
  ticket: z.string().optional().meta({ description: "A single-use ticket from `POST /events/ticket`: subscribes as its user and session." }),
  access_token: z.string().optional().meta({ description: "An access token instead of a ticket (kept for compatibility; a URL ends up in logs, RFC 6750 section 2.3)." }),
});

// ---- operators: user administration, roles, audit, import/export, directory

/** Query strings: strict too, so a misspelt parameter is an error rather than ignored. */
const pageLimit = z.coerce.number().int().min(1).max(1000).optional();
const isoTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export const usersQuery = z.strictObject({ query: z.string().max(320).optional(), cursor: z.string().max(64).optional(), limit: pageLimit });

export const patchUserBody = z
  .strictObject({
    status: z.enum(["active", "disabled"]).optional(),
    email: str(320).optional(),
    username: str(256).optional(),
    email_verified: z.boolean().optional(),
    metadata: metadataSchema.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "nothing to change" });

export const ROLE_RE = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;

export const createRoleBody = z.strictObject({
  name: z.string().regex(ROLE_RE, "name must match ^[a-z0-9][a-z0-9_.:-]{0,63}$"),
  description: z.string().max(500).optional(),
  scopes: z.array(z.string().regex(/^[\x21-\x7e]{1,128}$/, "a scope is 1–128 printable ASCII characters, no spaces")).max(100),
});

export const membershipQuery = z.strictObject({ revoke: z.enum(["true", "false"]).optional() });

export const auditQuery = z.strictObject({
  user: z.string().max(64).optional(),
  type: z.string().max(64).optional(),
  since: isoTime.optional(),
  cursor: z.string().regex(/^[0-9]{1,15}$/, "not a cursor of this log").optional(),
  limit: pageLimit,
  /** `newest`: the latest entries first, and the cursor walks back (what `warden audit tail` shows). */
  order: z.enum(["oldest", "newest"]).optional(),
});

/** One NDJSON line of `POST /tenants/{slug}/users/import`. */
export const importLine = z
  .strictObject({
    id: z.uuid().optional(),
    email: str(320).optional(),
    username: str(256).optional(),
    password_hash: str(1024).optional(),
    email_verified: z.boolean().optional(),
    metadata: metadataSchema.optional(),
    created_at: z.iso.datetime({ offset: true }).optional(),
    /** Written by export, read by import: a disabled user stays disabled through export → import. */
    status: z.enum(["active", "disabled"]).optional(),
  })
  .refine((b) => b.email !== undefined || b.username !== undefined, { message: "email or username is required", path: ["email"] });

export const directoryQuery = z.strictObject({ email: z.string().max(320) });
