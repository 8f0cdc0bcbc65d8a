/**
 * @module The tenant object's SQLite schema: whether the object holds a tenant at all, and its
 * migrations (schema/tenant-migrations.ts), applied in order, all in one transaction, and only
 * for a tenant that exists, so a request for an unknown slug writes nothing.
 */
import { TENANT_MIGRATIONS } from "../../schema/tenant-migrations.ts";
import { one } from "./sql.ts";

export function tenantExists(sql: SqlStorage): boolean {
  return one(sql, "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'settings'") !== null
    && one(sql, "SELECT 1 AS x FROM settings WHERE id = 1") !== null;
}

export function schemaVersion(sql: SqlStorage): number {
  return one<{ version: number }>(sql, "SELECT version FROM schema_version")?.version ?? 0;
}

/** Applies the migrations not yet applied, in one transaction; returns the schema version. */
export function migrate(storage: DurableObjectStorage): number {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const current = schemaVersion(sql);
  if (current >= TENANT_MIGRATIONS.length) return current;
  storage.transactionSync(() => {
    for (let v = current; v < TENANT_MIGRATIONS.length; v++) sql.exec(TENANT_MIGRATIONS[v]);
    sql.exec("DELETE FROM schema_version");
    sql.exec("INSERT INTO schema_version (version) VALUES (?)", TENANT_MIGRATIONS.length);
  });
  return TENANT_MIGRATIONS.length;
}
