/**
 * @module Answers of the operator API (ADMIN_TOKEN) and of its mirror for a tenant's `manage`
 * keys: tenants with their settings and live stats, API keys, signing keys, users as operators
 * see them (sessions, MFA state, passkeys, roles, linked identities), roles, the audit log,
 * OAuth clients, upstream identity providers, import and export. Each is read off the code that
 * builds the answer (objects/tenant/flows/admin.ts, users-admin.ts, roles.ts, audit.ts,
 * clients.ts, idps.ts, transfer.ts). The admin CLI's types are inferred from these.
 */
import { z } from "zod";
import { clientMetadataSchema } from "../clients.ts";
import { idpSchema } from "../identity-providers.ts";
import { settingsSchema } from "../settings.ts";
import { isoTime, Session, User } from "./common.ts";

const count = z.number().int().min(0);

// ---- tenants

/**
 * Every setting with its value (defaults filled in). The webhook secret is never read back:
 * `"set"` when one is configured.
 */
export const TenantSettings = settingsSchema()
  .extend({
    delivery: z.object({
      webhook_url: z.string().nullable(),
      webhook_secret: z.literal("set").nullable().meta({ description: '`"set"` when a secret is configured; the secret itself is write-only.' }),
    }),
  })
  .meta({ id: "TenantSettings" });

const tenantStatus = z.enum(["active", "deleted"]);

export const Tenant = z.object({ slug: z.string(), name: z.string(), status: tenantStatus, settings: TenantSettings, created_at: isoTime, updated_at: isoTime, deleted_at: isoTime.nullable() });

/** A signing key as its creation or rotation describes it. */
export const SigningKey = z
  .object({
    kid: z.string(),
    alg: z.string(),
    created_at: isoTime,
    secret: z.string().optional().meta({ description: "HS256 only: the shared secret (base64url), shown this once, for the apps that verify with it." }),
  })
  .meta({ id: "SigningKey" });

/** Create and PATCH answer the tenant, and the new access-token key when they made one (`signing_key`). */
export const TenantChanged = Tenant.extend({
  signing_key: SigningKey.optional().meta({ description: "Present when this call made an access-token key: its HS256 secret is shown only here." }),
});

export const TenantStats = z
  .object({
    users: count.meta({ description: "Users not deleted." }),
    active_sessions: count,
    storage_bytes: count,
    schema_version: count,
    next_alarm_at: isoTime.nullable(),
    outbox: z.object({ depth: count, oldest_age_s: count.nullable() }),
    event_seq: count.meta({ description: "The sequence number of the newest revocation event." }),
    subscribers: z.object({ service: count, user: count }).meta({ description: "Connected event-stream clients: API keys and users." }),
  })
  .meta({ id: "TenantStats" });

export const TenantWithStats = Tenant.extend({ stats: TenantStats });

/** A row of the cross-tenant index (D1): counts as of the tenant's last sync. */
export const TenantSummary = z
  .object({ slug: z.string(), name: z.string(), status: tenantStatus, created_at: isoTime, updated_at: isoTime, deleted_at: isoTime.nullable(), user_count: count, session_count: count })
  .meta({ id: "TenantSummary" });

export const TenantList = z.object({ tenants: z.array(TenantSummary), next_cursor: z.string().nullable().meta({ description: "The slug to pass as `cursor`; null on the last page." }) });

export const TenantDeleted = z.object({ slug: z.string(), status: z.literal("deleted"), purge_at: isoTime.meta({ description: "When the alarm purges the tenant's storage." }) });

// ---- API keys

export const ApiKey = z
  .object({
    id: z.string().meta({ description: "16 hex digits; the key is `wk_{id}.{secret}`." }),
    name: z.string(),
    scopes: z.array(z.enum(["introspect", "subscribe", "manage"])),
    created_at: isoTime,
    last_used_at: isoTime.nullable().meta({ description: "To the minute." }),
    revoked_at: isoTime.nullable(),
  })
  .meta({ id: "ApiKey" });

export const CreatedApiKey = ApiKey.extend({ key: z.string().meta({ description: "The key itself, shown this once; only its SHA-256 is stored." }) });

export const ApiKeyList = z.object({ api_keys: z.array(ApiKey) });

// ---- users

/** An email's entry in the cross-tenant directory: soft-deleted users stay listed until purged. */
export const DirectoryEntry = z.object({ tenant: z.string(), user_id: z.string(), status: z.enum(["active", "disabled", "deleted"]) });
export const Directory = z.object({ users: z.array(DirectoryEntry).meta({ description: "At most 1,000 entries, by tenant and user id." }) });

export const UserList = z.object({ users: z.array(User), next_cursor: z.string().nullable() });

/** A live OAuth grant held under a session. */
const Grant = z.object({ id: z.string(), client_id: z.string(), client_name: z.string().nullable(), scope: z.string(), resource: z.string().nullable(), created_at: isoTime, last_refreshed_at: isoTime.nullable() });

/** A session as operators see it: the user's own view, less `current`, plus how it ended and its grants. */
export const AdminSession = Session.omit({ current: true })
  .extend({ revoked_at: isoTime.nullable(), revoke_reason: z.string().nullable(), grants: z.array(Grant) })
  .meta({ id: "AdminSession" });

const Passkey = z.object({
  id: z.string(),
  name: z.string(),
  created_at: isoTime,
  last_used_at: isoTime.nullable(),
  transports: z.array(z.string()),
  backup_eligible: z.boolean(),
  backed_up: z.boolean(),
  aaguid: z.string(),
});

const Identity = z.object({
  id: z.string(),
  provider: z.string().meta({ description: "The identity provider's id." }),
  issuer: z.string(),
  subject: z.string(),
  email: z.string().nullable(),
  email_verified: z.boolean(),
  created_at: isoTime,
  last_used_at: isoTime,
});

export const UserDetail = z
  .object({
    user: User.extend({ status: z.enum(["active", "disabled", "deleted"]).meta({ description: "`deleted`: soft-deleted, kept until the retention purge." }) }),
    sessions: z.array(AdminSession).meta({ description: "Live and revoked sessions not yet trimmed, newest first, at most 100." }),
    mfa: z.object({ totp: z.boolean(), recovery_codes_remaining: count }),
    passkeys: z.array(Passkey),
    roles: z.array(z.string()),
    identities: z.array(Identity).meta({ description: "Linked upstream identities." }),
  })
  .meta({ id: "UserDetail" });

export const UserAnswer = z.object({ user: User });
export const RevokedSessions = z.object({ sessions: count.meta({ description: "Live sessions that ended (their OAuth grants with them)." }) });

// ---- roles

export const Role = z.object({ name: z.string(), description: z.string().nullable(), scopes: z.array(z.string()), created_at: isoTime }).meta({ id: "Role" });
export const RoleList = z.object({ roles: z.array(Role) });

// ---- audit

export const AuditEntry = z
  .object({
    id: z.number().int(),
    ts: isoTime,
    type: z.string().meta({ description: "e.g. `user.login`, `session.revoked`, `client.created`." }),
    user_id: z.string().nullable(),
    session_id: z.string().nullable(),
    actor: z.string().nullable().meta({ description: "`admin`, `key:{id}` (a manage key), or null for the user's own request." }),
    ip: z.string().nullable(),
    data: z.unknown().meta({ description: "The event's own details." }),
  })
  .meta({ id: "AuditEntry" });

export const AuditPage = z.object({ entries: z.array(AuditEntry), next_cursor: z.string().nullable().meta({ description: "An entry id; null on the last page." }) });

export const AuditVerification = z
  .object({
    ok: z.boolean(),
    checked: count.meta({ description: "Rows whose hash and link were checked." }),
    broken_at: z.number().int().optional().meta({ description: "The first row found altered or out of place, or the first id missing at the end." }),
    reason: z
      .enum(["altered", "truncated", "head", "checkpoint"])
      .optional()
      .meta({ description: "A row edited, inserted or removed; the newest rows cut off; the chain's state or a purge checkpoint not under a known key." }),
    keyed_from: z.number().int().nullable().meta({ description: "The first row keyed with HMAC; rows before it verify as SHA-256." }),
    purged: count.meta({ description: "Rows removed by retention purges, as their keyed checkpoints record." }),
  })
  .meta({ id: "AuditVerification" });

// ---- OAuth clients

/** RFC 7591 section 3.2.1: the registered metadata (defaults filled in) and the row's own fields; never the secret's hash. */
export const Client = z
  .object({
    ...clientMetadataSchema({ development: false }).shape,
    client_id: z.string(),
    client_id_issued_at: z.number().int().meta({ description: "Seconds since the epoch." }),
    client_secret_expires_at: z.literal(0).optional().meta({ description: "Confidential clients: 0, the secret does not expire." }),
    client_secret: z.string().optional().meta({ description: "Shown once: on creation of a confidential client, or when an update makes it confidential." }),
    dynamic: z.boolean().meta({ description: "Registered through RFC 7591 dynamic registration rather than by an operator." }),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: "Client" });

export const ClientList = z.object({ clients: z.array(Client) });

export const ClientSecret = z.object({ client_id: z.string(), client_secret: z.string().meta({ description: "Shown this once; the old secret stops working now." }), client_secret_expires_at: z.literal(0) });

// ---- identity providers

const { client_secret: _secret, apple: _apple, ...idpFields } = idpSchema({ development: false }).shape;

/** The stored configuration, never a secret: whether one is set, and the callback to register upstream. */
export const IdentityProvider = z
  .object({
    ...idpFields,
    apple: z.object({ team_id: z.string(), key_id: z.string() }).optional().meta({ description: "`apple` only; the private key is write-only." }),
    scopes: z.string().meta({ description: "Those asked for: the preset's default unless set." }),
    display_name: z.string(),
    client_secret_set: z.boolean(),
    callback_url: z.string().meta({ description: "The redirect URI to register at the provider." }),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: "IdentityProvider" });

export const IdentityProviderList = z.object({ identity_providers: z.array(IdentityProvider) });

// ---- import and export

export const ImportFailure = z.object({ line: z.number().int().min(1), error: z.string() });
export const ImportResult = z.object({ imported: count, failed: z.array(ImportFailure).meta({ description: "The refused lines, by line number; the others went in." }) });

/** One line of an export: the import's shape, absent fields left out, so an export imports into another tenant. */
export const ExportLine = z.object({
  id: z.string(),
  email: z.string().optional(),
  username: z.string().optional(),
  password_hash: z.string().optional().meta({ description: "PHC string; absent for a user without a password." }),
  email_verified: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: isoTime,
  status: z.literal("disabled").optional().meta({ description: "Only on disabled users, so a round trip re-enables nobody." }),
});
