/**
 * @module The hosted pages' side of the tenant object: what a page needs to render (branding,
 * which sign-in methods the tenant offers, Turnstile), binding a browser cookie to the session
 * a sign-in just made, looking that cookie up, and signing the browser out.
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { displayNameOf, listProviders } from "../idp/providers.ts";
import { authTime, COOKIE_HASH_RE, findBrowserSession } from "../browser.ts";
import type { RequestMeta } from "../context.ts";
import type { Runtime } from "../runtime.ts";
import { chainTokenState, dropChains, parseChainToken } from "../refresh-chain.ts";
import { getSession, isLive, revokeSession } from "../sessions.ts";
import { one } from "../sql.ts";
import { getUser } from "../users.ts";

export interface PageContext {
  name: string;
  logoUrl: string | null;
  primaryColor: string;
  signup: { enabled: boolean; identifiers: ("email" | "username")[] };
  /** `password.min_length`, for the new-password fields' hint and `minlength`. */
  passwordMinLength: number;
  /** Email sign-in links are offered when the tenant can deliver them. */
  magicLink: boolean;
  turnstile: { siteKey: string | null; requiredFor: string[]; afterFailures: number | null };
  /** The enabled upstream identity providers, as buttons on the sign-in page. */
  providers: { id: string; name: string; iconUrl: string | null }[];
}

export async function pageContext(rt: Runtime): Promise<Result<PageContext>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const { settings: s, name } = b.value;
  return ok({
    name: s.branding.display_name ?? name,
    logoUrl: s.branding.logo_url,
    primaryColor: s.branding.primary_color,
    signup: { enabled: s.signup.enabled, identifiers: s.signup.identifiers },
    passwordMinLength: s.password.min_length,
    magicLink: !!(s.delivery.webhook_url && s.delivery.webhook_secret) || rt.bindings.ENVIRONMENT === "development",
    turnstile: { siteKey: s.turnstile.site_key, requiredFor: s.turnstile.required_for, afterFailures: s.turnstile.after_failures },
    providers: listProviders(b.value.sql).filter((p) => p.enabled).map((p) => ({ id: p.id, name: displayNameOf(p), iconUrl: p.icon_url ?? null })),
  });
}

export interface BindBrowserInput {
  /** The refresh token the sign-in just returned: proof that the caller holds that session. */
  refreshToken: string;
  cookieHash: string;
  /** The hash of the cookie the browser held before, if any: it stops naming its session. */
  replaces: string | null;
}

/**
 * Binds a new browser cookie to the session a sign-in has just created. The session's own
 * refresh token is spent here: the browser never sees it, and the OAuth clients that sign in
 * through this session get their own grants and refresh chains.
 */
export async function bindBrowser(rt: Runtime, i: BindBrowserInput): Promise<Result<{ sid: string; expiresAt: number }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const sid = parseChainToken(i.refreshToken)?.chainId;
  if (!sid || !COOKIE_HASH_RE.test(i.cookieHash)) return fail("invalid_token");
  const s0 = getSession(ctx.sql, sid);
  const u0 = s0 ? getUser(ctx.sql, s0.user_id) : null;
  if (!s0 || !u0) return fail("invalid_token");
  const secret = await rt.userSecret(u0);
  const r = rt.tx(ctx, (): Result<{ sid: string; expiresAt: number }> => {
    const s = getSession(ctx.sql, sid);
    const u = getUser(ctx.sql, u0.id);
    const held = chainTokenState(ctx, sid, secret, i.refreshToken).kind === "current";
    if (!s || !isLive(s, ctx.now) || s.browser_hash !== null || !u || u.secret_version !== u0.secret_version || !held) return fail("invalid_token");
    if (i.replaces && COOKIE_HASH_RE.test(i.replaces)) ctx.sql.exec("UPDATE sessions SET browser_hash = NULL WHERE browser_hash = ?", i.replaces);
    ctx.sql.exec("UPDATE sessions SET browser_hash = ? WHERE id = ?", i.cookieHash, sid);
    dropChains(ctx.sql, [sid]);
    return ok({ sid, expiresAt: Math.min(s.expires_at, s.idle_expires_at) });
  });
  await rt.commit(ctx);
  return r;
}

export interface BrowserSession {
  sid: string;
  sub: string;
  /** Milliseconds. */
  authTime: number;
  amr: string[];
  email: string | null;
  username: string | null;
}

/** The signed-in user the browser's cookie names, checked against live state; null when signed out. */
export async function browserSession(rt: Runtime, i: { cookieHash: string | null }): Promise<Result<BrowserSession | null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const p = findBrowserSession(b.value, i.cookieHash);
  if (!p) return ok(null);
  return ok({ sid: p.session.id, sub: p.user.id, authTime: authTime(p.session), amr: JSON.parse(p.session.amr), email: p.user.email, username: p.user.username });
}

/** Signs the browser out: ends the Warden session its cookie names (emitting `session.revoked`, like `POST /logout`). */
export async function endBrowserSession(rt: Runtime, i: { cookieHash: string | null; meta: RequestMeta }): Promise<Result<{ sid: string } | null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, () => {
    const p = findBrowserSession(ctx, i.cookieHash);
    if (!p) return null;
    revokeSession(ctx, p.session, "logout");
    audit(ctx, { type: "logout", userId: p.user.id, sessionId: p.session.id, meta: i.meta, data: { via: "hosted_page" } });
    return { sid: p.session.id };
  });
  await rt.commit(ctx);
  return ok(r);
}
