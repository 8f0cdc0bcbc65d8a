/** @module Tenant schema migrations applied over data written by an earlier version. */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TENANT_MIGRATIONS } from "../../schema/tenant-migrations.ts";
import { stub, uniq } from "../helpers.ts";

describe("tenant migrations", () => {
  it("2 moves refresh tokens into a (session_id, hash) table without a rowid and keeps every row", async () => {
    // An object with no tenant: its storage is ours to lay out as version 1 left it.
    await runInDurableObject(stub(uniq("m")), (_o, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => sql.exec(TENANT_MIGRATIONS[0]));
      sql.exec("INSERT INTO refresh_tokens (hash, session_id, issued_at, rotated_at) VALUES ('h1', 's1', 1, NULL), ('h2', 's1', 2, 5), ('h3', 's2', 3, NULL)");
      state.storage.transactionSync(() => sql.exec(TENANT_MIGRATIONS[1]));
      expect(sql.exec("SELECT session_id, hash, issued_at, rotated_at FROM refresh_tokens ORDER BY hash").toArray()).toEqual([
        { session_id: "s1", hash: "h1", issued_at: 1, rotated_at: null },
        { session_id: "s1", hash: "h2", issued_at: 2, rotated_at: 5 },
        { session_id: "s2", hash: "h3", issued_at: 3, rotated_at: null },
      ]);
      const ddl = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'refresh_tokens'").one().sql;
      expect(ddl).toMatch(/PRIMARY KEY \(session_id, hash\)\s*\)\s*WITHOUT ROWID/);
      // The old secondary index went with the old table.
      expect(sql.exec("SELECT name FROM sqlite_master WHERE tbl_name = 'refresh_tokens' AND type = 'index' AND sql IS NOT NULL").toArray()).toEqual([]);
      expect(() => sql.exec("INSERT INTO refresh_tokens (session_id, hash, issued_at) VALUES ('s1', 'h1', 9)")).toThrow(/UNIQUE|PRIMARY KEY/);
    });
  });

  it("4 gives every existing session an auth_time: its creation", async () => {
    await runInDurableObject(stub(uniq("m")), (_o, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => TENANT_MIGRATIONS.slice(0, 3).forEach((m) => sql.exec(m)));
      sql.exec("INSERT INTO sessions (id, user_id, created_at, last_refreshed_at, expires_at, idle_expires_at, due_at, amr) VALUES ('s1', 'u1', 1000, 5000, 9000, 9000, 9000, '[\"pwd\"]')");
      state.storage.transactionSync(() => sql.exec(TENANT_MIGRATIONS[3]));
      expect(sql.exec("SELECT id, auth_time, last_refreshed_at FROM sessions").toArray()).toEqual([{ id: "s1", auth_time: 1000, last_refreshed_at: 5000 }]);
    });
  });
});
