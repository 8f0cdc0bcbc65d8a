/**
 * @module The shapes of the admin API's answers as the CLI reads them.
 * Timestamps are ISO-8601 strings. Where the tenant object defines the answer, the type is
 * the object's own (type-only imports, erased when the CLI runs); the rest are the router's
 * or D1's shapes. `--json` prints whatever the server sent.
 */
import type { PublicApiKey } from "../../../objects/tenant/api-keys.ts";
import type { PublicClient } from "../../../objects/tenant/clients.ts";
import type { AuditEntry as ObjectAuditEntry, verifyAudit } from "../../../objects/tenant/audit.ts";
import type { TenantStats as ObjectTenantStats, TenantView } from "../../../objects/tenant/flows/admin.ts";
import type { ImportFailure } from "../../../objects/tenant/flows/transfer.ts";
import type { PublicRole } from "../../../objects/tenant/flows/roles.ts";
import type { AdminSession, UserDetail as ObjectUserDetail } from "../../../objects/tenant/flows/users-admin.ts";
import type { PublicUser } from "../../../objects/tenant/users.ts";

export type Tenant = TenantView;
export type TenantStats = ObjectTenantStats;
export type User = PublicUser;
export type Session = AdminSession;
export type UserDetail = ObjectUserDetail;
export type ApiKey = PublicApiKey;
export type Role = PublicRole;
export type Client = PublicClient;
export type AuditEntry = ObjectAuditEntry;
export type AuditVerify = ReturnType<typeof verifyAudit>;

export interface Page {
  next_cursor: string | null;
}

export interface TenantSummary {
  slug: string;
  name: string;
  status: string;
  created_at: string;
  updated_at: string;
  user_count: number;
  session_count: number;
}

export interface TenantDeleted {
  slug: string;
  status: "deleted";
  purge_at: string;
}

export interface DirectoryEntry {
  tenant: string;
  user_id: string;
  status: string;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: string[];
  key: string;
  created_at: string;
}

export interface SigningKey {
  kid: string;
  alg: string;
  created_at: string;
}

export interface ImportResult {
  imported: number;
  failed: ImportFailure[];
}
