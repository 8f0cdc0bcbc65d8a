/**
 * @module Operations for the operator alone (ADMIN_TOKEN; no API key reaches them): tenants,
 * their API keys and signing keys, user import and export as NDJSON, the cross-tenant user
 * directory.
 */
import { createApiKeyBody, createTenantBody, directoryQuery, importLine, listQuery, patchTenantBody } from "../../../schema/requests.ts";
import { ApiKeyList, CreatedApiKey, Directory, ExportLine, ImportResult, SigningKey, TenantChanged, TenantDeleted, TenantList, TenantWithStats } from "../../../schema/answers/admin.ts";
import type { Operation } from "../operation.ts";

const admin = { kind: "admin" } as const;
const TENANT = "/v1/admin/tenants/{slug}";
const noStore = { "Cache-Control": "no-store" };
const at = "2026-12-01T09:30:00.000Z";

const tenantExample = {
  slug: "acme",
  name: "Acme",
  status: "active",
  settings: { access_ttl_s: 900, token_alg: "EdDSA", "…": "every setting, defaults filled in" },
  created_at: at,
  updated_at: at,
  deleted_at: null,
};

export const tenantOperations: Operation[] = [
  {
    id: "createTenant",
    method: "post",
    path: "/v1/admin/tenants",
    tag: "tenants",
    summary: "Create a tenant",
    description:
      "Runs the tenant's migrations and makes its first signing keys. `settings` is any subset of the tenant settings; the rest take their defaults. An HS256 tenant's secret is in `signing_key`, shown this once.",
    security: admin,
    body: { schema: createTenantBody, example: { slug: "acme", name: "Acme", settings: { access_ttl_s: 900 } } },
    answers: { 201: { description: "The tenant.", schema: TenantChanged, example: tenantExample, headers: noStore } },
    errors: ["conflict"],
  },
  {
    id: "listTenants",
    method: "get",
    path: "/v1/admin/tenants",
    tag: "tenants",
    summary: "List tenants",
    description: "From the cross-tenant index in D1, by slug; the user and session counts are as of each tenant's last sync. Deleted tenants are listed until purged.",
    security: admin,
    query: listQuery,
    answers: {
      200: {
        description: "A page of tenants.",
        schema: TenantList,
        example: { tenants: [{ slug: "acme", name: "Acme", status: "active", created_at: at, updated_at: at, deleted_at: null, user_count: 42, session_count: 17 }], next_cursor: null },
      },
    },
  },
  {
    id: "getTenant",
    method: "get",
    path: TENANT,
    tag: "tenants",
    summary: "Show a tenant with live stats",
    description: "The settings (the webhook secret shown as `\"set\"`) and live numbers from the tenant's object. A deleted tenant is shown until it is purged.",
    security: admin,
    answers: {
      200: {
        description: "The tenant.",
        schema: TenantWithStats,
        example: {
          ...tenantExample,
          stats: { users: 42, active_sessions: 17, storage_bytes: 204800, schema_version: 30, next_alarm_at: at, outbox: { depth: 0, oldest_age_s: null }, event_seq: 12, subscribers: { service: 1, user: 3 } },
        },
      },
    },
  },
  {
    id: "updateTenant",
    method: "patch",
    path: TENANT,
    tag: "tenants",
    summary: "Rename a tenant or change its settings",
    description:
      "`settings` is deep-merged over the current settings (objects key by key, arrays replaced) and the result validated whole. Changing `token_alg` makes a key of the new algorithm (in `signing_key`; an HS256 secret is shown this once).",
    security: admin,
    body: { schema: patchTenantBody, example: { settings: { lockout: { threshold: 10 } } } },
    answers: { 200: { description: "The tenant as it is now.", schema: TenantChanged, example: tenantExample, headers: noStore } },
  },
  {
    id: "deleteTenant",
    method: "delete",
    path: TENANT,
    tag: "tenants",
    summary: "Delete a tenant",
    description: "Soft delete: the tenant answers 404 `tenant_not_found` at once, its event-stream clients are disconnected, and its storage is purged after seven days.",
    security: admin,
    answers: { 200: { description: "Deleted; purged at `purge_at`.", schema: TenantDeleted, example: { slug: "acme", status: "deleted", purge_at: "2026-12-08T09:30:00.000Z" } } },
  },
  {
    id: "createApiKey",
    method: "post",
    path: `${TENANT}/api-keys`,
    tag: "tenants",
    summary: "Create an API key",
    description:
      "Scopes: `introspect` (RFC 7662 introspection), `subscribe` (the service revocation stream), `manage` (the users, roles, audit, OAuth client and identity-provider operations under `/v1/{tenant}/admin`). The key is shown this once.",
    security: admin,
    body: { schema: createApiKeyBody, example: { name: "backend", scopes: ["introspect", "subscribe"] } },
    answers: {
      201: {
        description: "The key, with its secret.",
        schema: CreatedApiKey,
        headers: noStore,
        example: { id: "0123456789abcdef", name: "backend", scopes: ["introspect", "subscribe"], created_at: at, last_used_at: null, revoked_at: null, key: "wk_0123456789abcdef.…" },
      },
    },
  },
  {
    id: "listApiKeys",
    method: "get",
    path: `${TENANT}/api-keys`,
    tag: "tenants",
    summary: "List API keys",
    description: "Revoked keys included (with `revoked_at`); never a key's secret.",
    security: admin,
    answers: {
      200: {
        description: "Every key, oldest first.",
        schema: ApiKeyList,
        example: { api_keys: [{ id: "0123456789abcdef", name: "backend", scopes: ["introspect"], created_at: at, last_used_at: at, revoked_at: null }] },
      },
    },
  },
  {
    id: "revokeApiKey",
    method: "delete",
    path: `${TENANT}/api-keys/{id}`,
    tag: "tenants",
    summary: "Revoke an API key",
    description: "At once: the key's event-stream connections are closed too.",
    security: admin,
    answers: { 204: { description: "Revoked." } },
    errors: ["not_found"],
  },
  {
    id: "rotateSigningKey",
    method: "post",
    path: `${TENANT}/signing-keys/rotate`,
    tag: "tenants",
    summary: "Rotate the signing keys",
    description:
      "New access-token and Security Event Token keys sign from now on; the old ones stay in the JWKS until the tokens they signed have expired. Answers the access-token key (the SET key on `user-HS512` tenants); an HS256 secret is shown this once.",
    security: admin,
    answers: { 201: { description: "The new key.", schema: SigningKey, headers: noStore, example: { kid: "k_3q2…", alg: "EdDSA", created_at: at } } },
  },
  {
    id: "importUsers",
    method: "post",
    path: `${TENANT}/users/import`,
    tag: "tenants",
    summary: "Import users (NDJSON)",
    description:
      "One user per line (at most 1 MiB a request), `email` or `username` required, `password_hash` a PHC string (argon2id, pbkdf2-sha256) or bcrypt. Each line is checked on its own: a bad or taken line is reported by number and the others go in. An export of another tenant imports as it is.",
    security: admin,
    body: {
      schema: importLine,
      media: ["application/x-ndjson"],
      example: '{"email":"ada@example.com","password_hash":"$argon2id$v=19$m=19456,t=2,p=1$…","email_verified":true}\n{"username":"grace","metadata":{"team":"navy"}}\n',
    },
    answers: { 200: { description: "How many went in, and why the others did not.", schema: ImportResult, example: { imported: 1, failed: [{ line: 2, error: "the email or username is already taken" }] } } },
  },
  {
    id: "exportUsers",
    method: "get",
    path: `${TENANT}/users/export`,
    tag: "tenants",
    summary: "Export users (NDJSON)",
    description: "Every user that is not deleted, by id, in the import's line shape (with the password hash), streamed. Audited as `users.exported`.",
    security: admin,
    answers: {
      200: {
        description: "One user per line.",
        schema: ExportLine,
        media: "application/x-ndjson",
        headers: noStore,
        example: '{"id":"0192…","email":"ada@example.com","password_hash":"$argon2id$…","email_verified":true,"metadata":{},"created_at":"2026-12-01T09:30:00.000Z"}\n',
      },
    },
  },
  {
    id: "findUsersByEmail",
    method: "get",
    path: "/v1/admin/users",
    tag: "tenants",
    summary: "Which tenants know an email",
    description: "The cross-tenant directory in D1 (kept by each tenant's outbox, reconciled daily). Soft-deleted users are listed, with status `deleted`, until purged.",
    security: admin,
    query: directoryQuery,
    answers: { 200: { description: "The matching users.", schema: Directory, headers: noStore, example: { users: [{ tenant: "acme", user_id: "0192…", status: "active" }] } } },
  },
];
