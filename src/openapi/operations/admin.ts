/** @module Operations: the operator API (ADMIN_TOKEN) and its mirror for a tenant's manage keys. */
import type { Operation } from "../operation.ts";

export const adminOperations: Operation[] = [];
