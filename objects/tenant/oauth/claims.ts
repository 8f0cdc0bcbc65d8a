/**
 * @module What a client's tokens say. The access token is a Warden access token (so
 * introspection, the client library and every revoking path work on it unchanged) whose `sid`
 * is the grant, plus `client_id` and `auth_time` (RFC 9068 section 2.2); `aud` is the RFC 8707
 * resource, else the tenant's audience; `email` and `username` only under the `email` and
 * `profile` scopes. Role scopes the user no longer holds drop out at the next token.
 */
import { ACCOUNT_SCOPE } from "../../../schema/clients.ts";
import type { TenantCtx } from "../context.ts";
import type { SessionRow } from "../sessions.ts";
import { audienceOf, buildClaims, type AccessClaims } from "../tokens.ts";
import { rolesOf, type UserRow } from "../users.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import { scopesOf, type GrantRow } from "./grants.ts";
import { STANDARD_SCOPES } from "./metadata.ts";

const STANDARD = new Set<string>(STANDARD_SCOPES);

/** The grant's scopes that still hold: the OpenID ones, and role scopes the user still has. */
export function liveScopes(sql: SqlStorage, userId: string, scopes: string[]): string[] {
  const held = new Set(rolesOf(sql, userId).scopes);
  return scopes.filter((s) => STANDARD.has(s) || held.has(s));
}

export function grantClaims(ctx: TenantCtx, user: UserRow, session: SessionRow, grant: GrantRow, scopes: string[] = scopesOf(grant)): AccessClaims {
  const base = buildClaims(ctx, user, session);
  const scope = liveScopes(ctx.sql, user.id, scopes);
  return {
    ...base,
    aud: grant.resource ?? base.aud,
    sid: grant.id,
    scope: scope.join(" "),
    email: scope.includes("email") ? base.email : null,
    username: scope.includes("profile") ? base.username : null,
    client_id: grant.client_id,
    auth_time: Math.floor((grant.auth_time ?? session.created_at) / 1000),
  };
}

/** A machine client's token (client_credentials): `sub` is the client, no user, no session. */
export function machineClaims(ctx: TenantCtx, grant: GrantRow): AccessClaims {
  const iat = Math.floor(ctx.now / 1000);
  return {
    iss: ctx.issuer,
    aud: grant.resource ?? audienceOf(ctx.slug, ctx.settings),
    sub: grant.client_id,
    tid: ctx.slug,
    sid: grant.id,
    // The client authenticated just now (RFC 9068 section 2.2.1: auth_time of the authentication).
    auth_time: iat,
    ver: 0,
    roles: [],
    scope: grant.scope,
    amr: [],
    email: null,
    username: null,
    client_id: grant.client_id,
    jti: randomToken(16),
    iat,
    exp: iat + ctx.settings.access_ttl_s,
  };
}

/** OIDC Core section 5.4: the claims each scope releases, for the ID token and userinfo. */
export function userClaims(user: UserRow, scopes: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (scopes.includes("email") && user.email) {
    out.email = user.email;
    out.email_verified = user.email_verified === 1;
  }
  if (scopes.includes("profile")) {
    if (user.username) out.preferred_username = user.username;
    out.updated_at = Math.floor(user.updated_at / 1000);
  }
  return out;
}

/** A client's token reaches Warden's account routes only for a first-party client or with the account scope. */
export const hasAccountAccess = (firstParty: boolean, scope: string): boolean => firstParty || scope.split(" ").includes(ACCOUNT_SCOPE);
