/**
 * @module Who manages a passkey: the REST API's bearer token, or the hosted pages' browser
 * cookie (objects/tenant/browser.ts). Both come down to a live session and its user, with the
 * same step-up rule (step-up.ts): the session authenticated within the window, else
 * `reauth_required` with the account's methods. A page then asks the user to sign in again,
 * which makes a new, recent session.
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { beginWithToken } from "../bearer.ts";
import { authTime, findBrowserSession } from "../browser.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import type { Runtime } from "../runtime.ts";
import type { SessionRow } from "../sessions.ts";
import { reauthRequired, requireRecentAuth, STEP_UP_WINDOW_S, stepUpMethods } from "../step-up.ts";
import { checkLive, type AccessClaims } from "../tokens.ts";
import type { UserRow } from "../users.ts";

/** How the caller is known: the bearer token of a REST call, or the hosted pages' cookie (its SHA-256). */
export type Who = { accessToken: string } | { cookieHash: string | null };

export type Caller = { claims: AccessClaims } | { cookieHash: string | null };

export interface Signed {
  user: UserRow;
  session: SessionRow;
}

export async function beginCaller(rt: Runtime, who: Who): Promise<Result<{ ctx: TenantCtx; caller: Caller }>> {
  if ("accessToken" in who) {
    const a = await beginWithToken(rt, who.accessToken);
    return a.ok ? ok({ ctx: a.value.ctx, caller: { claims: a.value.claims } }) : a;
  }
  const b = await rt.begin();
  return b.ok ? ok({ ctx: b.value, caller: who }) : b;
}

/** The caller's live session and user (synchronous, for the transaction). */
export function live(ctx: TenantCtx, c: Caller): Result<Signed> {
  if ("claims" in c) return checkLive(ctx, c.claims);
  const p = findBrowserSession(ctx, c.cookieHash);
  return p ? ok(p) : fail("invalid_token");
}

/** `live`, and a recent authentication: `requireRecentAuth` for a token, the same window on the session for a cookie. */
export function recent(ctx: TenantCtx, c: Caller, via: string, meta: RequestMeta): Result<Signed> {
  if ("claims" in c) return requireRecentAuth(ctx, c.claims, { via, meta });
  const p = live(ctx, c);
  if (!p.ok) return p;
  return ctx.now - authTime(p.value.session) <= STEP_UP_WINDOW_S * 1000 ? p : reauthRequired(stepUpMethods(ctx.sql, p.value.user));
}
