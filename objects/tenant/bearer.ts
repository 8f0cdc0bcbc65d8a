/**
 * @module The prelude of every flow a bearer token opens: load the tenant, then check the
 * token's signature and registered claims. Liveness (session, user, `ver`) is checked later,
 * inside the flow's transaction, with `checkLive`; for changes that need a recent
 * authentication, with `requireRecentAuth` (step-up.ts).
 */
import { fail, ok, type Result } from "../../src/errors.ts";
import type { TenantCtx } from "./context.ts";
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
