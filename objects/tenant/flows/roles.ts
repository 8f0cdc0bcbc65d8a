/**
 * @module Roles and memberships (RBAC). A role is a name, a description and a set of scopes;
 * access tokens carry the user's role names and the union of their scopes (`buildClaims` reads
 * `rolesOf`). Claims are built when a token is issued, so a change reaches a user's tokens at
 * their next refresh, or at once with `revoke` (the user's secret is rotated).
 */
import { iso } from "../../../src/clock.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import type { RequestMeta } from "../context.ts";
import { beginAs, type Operator } from "../operator.ts";
import type { Runtime } from "../runtime.ts";
import { all, one, run } from "../sql.ts";
import { getUser, rotateSecret } from "../users.ts";

interface RoleRow {
  name: string;
  description: string | null;
  scopes: string;
  created_at: number;
}

export interface PublicRole {
  name: string;
  description: string | null;
  scopes: string[];
  created_at: string;
}

const toPublicRole = (r: RoleRow): PublicRole => ({ name: r.name, description: r.description, scopes: JSON.parse(r.scopes), created_at: iso(r.created_at)! });

const getRole = (sql: SqlStorage, name: string): RoleRow | null => one<RoleRow>(sql, "SELECT * FROM roles WHERE name = ?", name);

const noSuchRole = () => fail("not_found", "No such role.");

export async function listRoles(rt: Runtime, i: { by: Operator }): Promise<Result<{ roles: PublicRole[] }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  return ok({ roles: all<RoleRow>(b.value.ctx.sql, "SELECT * FROM roles ORDER BY name").map(toPublicRole) });
}

export interface CreateRoleInput {
  by: Operator;
  name: string;
  description: string | null;
  scopes: string[];
  meta: RequestMeta;
}

export async function createRole(rt: Runtime, i: CreateRoleInput): Promise<Result<PublicRole>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const scopes = [...new Set(i.scopes)];
  const r = rt.tx(ctx, (): Result<PublicRole> => {
    if (getRole(ctx.sql, i.name)) return fail("conflict", "A role with that name already exists.");
    ctx.sql.exec("INSERT INTO roles (name, description, scopes, created_at) VALUES (?, ?, ?, ?)", i.name, i.description, JSON.stringify(scopes), ctx.now);
    audit(ctx, { type: "role.created", actor: actor, meta: i.meta, data: { name: i.name, scopes } });
    return ok(toPublicRole(getRole(ctx.sql, i.name)!));
  });
  await rt.commit(ctx);
  return r;
}

/** Removes the role and every membership in it; members' tokens lose it at their next refresh. */
export async function deleteRole(rt: Runtime, i: { by: Operator; name: string; meta: RequestMeta }): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const r = rt.tx(ctx, (): Result<null> => {
    if (!getRole(ctx.sql, i.name)) return noSuchRole();
    const members = one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM memberships WHERE role = ?", i.name)!.n;
    ctx.sql.exec("DELETE FROM memberships WHERE role = ?", i.name);
    ctx.sql.exec("DELETE FROM roles WHERE name = ?", i.name);
    audit(ctx, { type: "role.deleted", actor: actor, meta: i.meta, data: { name: i.name, members } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

export interface MembershipInput {
  by: Operator;
  userId: string;
  role: string;
  /** Also rotate the user's secret, so the change applies to every token at once. */
  revoke: boolean;
  meta: RequestMeta;
}

/** PUT: idempotent (granting a role the user has changes nothing, but `revoke` still revokes). */
export const grantRole = (rt: Runtime, i: MembershipInput) => membership(rt, i, true);
/** DELETE: 404 when the user does not have the role. */
export const removeRole = (rt: Runtime, i: MembershipInput) => membership(rt, i, false);

async function membership(rt: Runtime, i: MembershipInput, grant: boolean): Promise<Result<null>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  const next = i.revoke ? await rt.newSecret(i.userId) : null;
  const r = rt.tx(ctx, (): Result<null> => {
    const user = getUser(ctx.sql, i.userId);
    if (!user || user.status === "deleted") return fail("not_found", "No such user.");
    if (!getRole(ctx.sql, i.role)) return noSuchRole();
    const base = { userId: user.id, actor: actor, meta: i.meta, data: { role: i.role, revoke: i.revoke } };
    if (grant) {
      if (run(ctx.sql, "INSERT INTO memberships (user_id, role, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", user.id, i.role, ctx.now)) audit(ctx, { ...base, type: "role.granted" });
    } else {
      if (!run(ctx.sql, "DELETE FROM memberships WHERE user_id = ? AND role = ?", user.id, i.role)) return fail("not_found", "The user does not have that role.");
      audit(ctx, { ...base, type: "role.removed" });
    }
    if (next) rotateSecret(ctx, user, next.sealed, "roles_changed");
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}
