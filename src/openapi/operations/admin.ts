/**
 * @module Operations: the operator API (ADMIN_TOKEN) and its mirror for a tenant's manage keys.
 * Tenants, API keys, signing keys, import/export and the directory are the operator's alone
 * (admin-tenants.ts); users, roles, audit, OAuth clients and identity providers are emitted for
 * both mounts (admin-mounts.ts: `getUser` for the operator, `getUserAsManageKey` for a key).
 */
import type { Operation } from "../operation.ts";
import { clientOperations } from "./admin-clients.ts";
import { tenantOperations } from "./admin-tenants.ts";
import { userOperations } from "./admin-users.ts";

export { asManageKey, bothMounts } from "./admin-mounts.ts";

export const adminOperations: Operation[] = [...tenantOperations, ...userOperations, ...clientOperations];
