/**
 * @module The shapes of the admin API's answers as the CLI reads them (SPEC section 6).
 * Timestamps are ISO-8601 strings. Only what the CLI prints is typed; `--json` prints
 * whatever the server sent. When the router's zod response schemas land, these can become
 * `z.infer` of them.
 */

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

export interface Tenant {
  slug: string;
  name: string;
  status: string;
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface TenantStats {
  users: number;
  active_sessions: number;
  storage_bytes: number;
  schema_version: number;
  next_alarm_at: string | null;
  outbox: { depth: number; oldest_age_s: number | null };
  event_seq: number;
  subscribers: { service: number; user: number };
}

export interface TenantDeleted {
  slug: string;
  status: "deleted";
  purge_at: string;
}

export interface User {
  id: string;
  email: string | null;
  username: string | null;
  email_verified: boolean;
  status: string;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export interface Session {
  id: string;
  created_at: string;
  last_refreshed_at: string | null;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  amr: string[];
  revoked_at: string | null;
  revoke_reason: string | null;
}

export interface UserDetail {
  user: User;
  sessions: Session[];
  mfa: { totp: boolean; recovery_codes_remaining: number };
}

export interface DirectoryEntry {
  tenant: string;
  user_id: string;
  status: string;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
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

export interface Role {
  name: string;
  description?: string | null;
  scopes: string[];
}

export interface AuditEntry {
  id: string | number;
  ts: string;
  type: string;
  user_id: string | null;
  session_id: string | null;
  actor: string | null;
  ip: string | null;
  data: unknown;
}

export interface AuditVerify {
  ok: boolean;
  checked: number;
  broken_at?: string | number | null;
}

export interface ImportResult {
  imported: number;
  failed: { line: number; error: unknown }[];
}
