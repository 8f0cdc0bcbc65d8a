/**
 * @module Moving users in and out of a tenant (admin only). Import takes lines the router has
 * already parsed, normalised and checked (src/routes/admin/transfer.ts) and inserts them in
 * one transaction, reporting each line it refuses. Export hands out pages of users with their
 * password hashes, in the import's own line shape, so one tenant's export imports into another.
 */
import { iso } from "../../../src/clock.ts";
import { ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import type { RequestMeta } from "../context.ts";
import type { Runtime } from "../runtime.ts";
import { all } from "../sql.ts";
import { getUser, identifierTaken, insertUser, type NewUser } from "../users.ts";

/** A user as insertUser takes it, but for the secret (sealed here), and where it came from. */
export interface ImportUser extends Omit<NewUser, "sealedSecret"> {
  /** 1-based line number in the request body, for the report. */
  line: number;
}

export interface ImportFailure {
  line: number;
  error: string;
}

/**
 * Seals a fresh 512-bit secret for every user first (async), then inserts them all in one
 * transaction. A line whose id, email or username is taken (by an existing user or an
 * earlier line) is reported and skipped; the others go in.
 */
export async function importUsers(rt: Runtime, i: { users: ImportUser[]; meta: RequestMeta }): Promise<Result<{ imported: number; failed: ImportFailure[] }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const secrets = await Promise.all(i.users.map((u) => rt.newSecret(u.id)));
  const r = rt.tx(ctx, () => {
    const failed: ImportFailure[] = [];
    let imported = 0;
    i.users.forEach((u, k) => {
      if (getUser(ctx.sql, u.id)) return failed.push({ line: u.line, error: "a user with this id already exists" });
      if (identifierTaken(ctx.sql, u)) return failed.push({ line: u.line, error: "the email or username is already taken" });
      insertUser(ctx, { ...u, sealedSecret: secrets[k].sealed });
      audit(ctx, { type: "user.imported", userId: u.id, actor: "admin", meta: i.meta, data: { algorithm: u.algorithm } });
      imported++;
    });
    return { imported, failed };
  });
  await rt.commit(ctx);
  return ok(r);
}

/** One NDJSON line of an export: the import shape, absent fields left out. */
export interface ExportLine {
  id: string;
  email?: string;
  username?: string;
  password_hash?: string;
  email_verified: boolean;
  metadata: Record<string, unknown>;
  created_at: string;
  status?: "disabled";
}

export const EXPORT_PAGE = 1000;

/**
 * One page of the export, by id: every user that is not deleted. A disabled user's line
 * carries `status: "disabled"` (beyond the documented import line, and import reads it
 * back), so an export → import round trip does not re-enable anyone. The first page (no
 * cursor) is audited as `users.exported`.
 */
export async function exportUsers(rt: Runtime, i: { cursor: string | null; meta: RequestMeta }): Promise<Result<{ users: ExportLine[]; next_cursor: string | null }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const rows = all<{ id: string; email: string | null; username: string | null; email_verified: number; metadata: string; created_at: number; status: string; hash: string | null }>(
    ctx.sql,
    `SELECT u.id, u.email, u.username, u.email_verified, u.metadata, u.created_at, u.status, c.hash FROM users u LEFT JOIN credentials c ON c.user_id = u.id
     WHERE u.status != 'deleted' AND u.id > ? ORDER BY u.id LIMIT ?`,
    i.cursor ?? "",
    EXPORT_PAGE + 1,
  );
  if (i.cursor === null) {
    rt.tx(ctx, () => audit(ctx, { type: "users.exported", actor: "admin", meta: i.meta }));
    await rt.commit(ctx);
  }
  const page = rows.slice(0, EXPORT_PAGE);
  const users = page.map((r): ExportLine => ({
    id: r.id,
    ...(r.email !== null ? { email: r.email } : {}),
    ...(r.username !== null ? { username: r.username } : {}),
    ...(r.hash !== null ? { password_hash: r.hash } : {}),
    email_verified: r.email_verified === 1,
    metadata: JSON.parse(r.metadata),
    created_at: iso(r.created_at)!,
    ...(r.status === "disabled" ? { status: "disabled" as const } : {}),
  }));
  return ok({ users, next_cursor: rows.length > EXPORT_PAGE ? page[page.length - 1].id : null });
}
