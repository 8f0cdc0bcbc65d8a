/**
 * @module The shapes of the admin API's answers as the CLI reads them: inferred from the zod
 * schemas the OpenAPI document is generated from (schema/answers/), so the CLI and the document
 * cannot drift apart. Type-only: the imports are erased when the CLI runs, and the CLI never
 * loads zod. `--json` prints whatever the server sent.
 */
import type { z } from "zod";
import type * as A from "../../../schema/answers/admin.ts";
import type { User as UserSchema } from "../../../schema/answers/common.ts";

export type Tenant = z.output<typeof A.TenantChanged>;
export type TenantStats = z.output<typeof A.TenantStats>;
export type TenantSummary = z.output<typeof A.TenantSummary>;
export type TenantList = z.output<typeof A.TenantList>;
export type TenantDeleted = z.output<typeof A.TenantDeleted>;
export type ApiKey = z.output<typeof A.ApiKey>;
export type ApiKeyList = z.output<typeof A.ApiKeyList>;
export type CreatedApiKey = z.output<typeof A.CreatedApiKey>;
export type SigningKey = z.output<typeof A.SigningKey>;
export type User = z.output<typeof UserSchema>;
export type UserList = z.output<typeof A.UserList>;
export type UserDetail = z.output<typeof A.UserDetail>;
export type Session = z.output<typeof A.AdminSession>;
export type RevokedSessions = z.output<typeof A.RevokedSessions>;
export type Directory = z.output<typeof A.Directory>;
export type Role = z.output<typeof A.Role>;
export type RoleList = z.output<typeof A.RoleList>;
export type Client = z.output<typeof A.Client>;
export type ClientList = z.output<typeof A.ClientList>;
export type AuditEntry = z.output<typeof A.AuditEntry>;
export type AuditPage = z.output<typeof A.AuditPage>;
export type AuditVerify = z.output<typeof A.AuditVerification>;
export type ImportResult = z.output<typeof A.ImportResult>;
