/**
 * @module The prelude of every flow a bearer token opens: load the tenant, then check the
 * token's signature and registered claims. Liveness (session, user, `ver`) is checked later,
 * inside the flow's transaction, with `checkLive`; for routes that also re-check the password,
 * with `checkReauth`.
 */
import { fail, ok, type Result } from "../../src/errors.ts";
import { accountKey, clearAttempts } from "./attempts.ts";
import { audit } from "./audit.ts";
import type { RequestMeta, TenantCtx } from "./context.ts";
import type { Runtime } from "./runtime.ts";
import { audienceOf, checkLive, type AccessClaims, type Principal } from "./tokens.ts";
import { getClient } from "./clients.ts";
import { hasAccountAccess } from "./oauth/claims.ts";
import { ACCOUNT_SCOPE } from "../../schema/clients.ts";

export async function beginWithToken(rt: Runtime, token: string): Promise<Result<{ ctx: TenantCtx; claims: AccessClaims }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const claims = await rt.verifyAccess(b.value, token);
  if (!claims) return fail("invalid_token");
  const gate = accountAccess(b.value, claims);
  return gate.ok ? ok({ ctx: b.value, claims }) : gate;
}

/**
 * Every route behind this prelude acts on the user's account (profile, sessions, logout, MFA).
 * An OAuth client's token reaches them only when the client is first-party or the grant holds
 * the account scope, and only when it was issued for Warden itself (not an RFC 8707
 * resource); otherwise 403 with RFC 6750's `insufficient_scope`: an app signed in with
 * `openid email` cannot delete the account or list its sessions.
 */
function accountAccess(ctx: TenantCtx, claims: AccessClaims): Result<null> {
  if (typeof claims.client_id !== "string") return ok(null);
  const client = getClient(ctx.sql, claims.client_id);
  if (client && claims.aud === audienceOf(ctx.slug, ctx.settings) && hasAccountAccess(client.first_party, claims.scope)) return ok(null);
  return fail("forbidden", `This token does not reach account routes: a first-party client or the ${ACCOUNT_SCOPE} scope is needed.`, {
    challenge: `Bearer error="insufficient_scope", scope="${ACCOUNT_SCOPE}"`,
  });
}

/** A bearer route that also re-checks the current password (PATCH /me, DELETE /me, DELETE /mfa/totp). */
export interface ReauthInput {
  accessToken: string;
  /** The user's secret version when the router read the hash it verified. */
  secretVersion: number;
  /** The router's verdict on the current password. */
  passwordOk: boolean;
  meta: RequestMeta;
}

/**
 * Inside the transaction: `checkLive`, then the password re-check. It counts only if it was
 * right and made against the secret version still current (a rotation in between voids it);
 * otherwise a failed attempt is audited (`via` names the route) and the answer is
 * `invalid_credentials`. A right one clears the attempt the router's check reserved.
 */
export function checkReauth(ctx: TenantCtx, claims: AccessClaims, i: ReauthInput, via: string): Result<Principal> {
  const p = checkLive(ctx, claims);
  if (!p.ok) return p;
  const { user, session } = p.value;
  if (!i.passwordOk || user.secret_version !== i.secretVersion) {
    audit(ctx, { type: "login.failure", userId: user.id, sessionId: session.id, meta: i.meta, data: { via } });
    return fail("invalid_credentials");
  }
  clearAttempts(ctx, accountKey(user.id));
  return p;
}
