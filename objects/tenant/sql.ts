/** @module Thin helpers over `ctx.storage.sql` (synchronous): numbered parameters, typed rows. */

export type Row = Record<string, SqlStorageValue>;

export function all<T = Row>(sql: SqlStorage, query: string, ...args: SqlStorageValue[]): T[] {
  return sql.exec(query, ...args).toArray() as T[];
}

export function one<T = Row>(sql: SqlStorage, query: string, ...args: SqlStorageValue[]): T | null {
  const rows = sql.exec(query, ...args).toArray();
  return (rows[0] as T | undefined) ?? null;
}

export function run(sql: SqlStorage, query: string, ...args: SqlStorageValue[]): number {
  return sql.exec(query, ...args).rowsWritten;
}
