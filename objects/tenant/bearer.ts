/**
 * @module The prelude of every flow a bearer token opens: load the tenant, then check the
 * token's signature and registered claims. Liveness (session, user, `ver`) is checked later,
 * inside the flow's transaction, with `checkLive`; for changes that need a recent
 * authentication, with `requireRecentAuth` (step-up.ts).
 */
import { fail, ok, type Result } from "../../src/errors.ts";
import type { TenantCtx } from "./context.ts";
import type { Runtime } from "./runtime.ts";
import type { AccessClaims } from "./tokens.ts";

export async function beginWithToken(rt: Runtime, token: string): Promise<Result<{ ctx: TenantCtx; claims: AccessClaims }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const claims = await rt.verifyAccess(b.value, token);
  return claims ? ok({ ctx: b.value, claims }) : fail("invalid_token");
}
