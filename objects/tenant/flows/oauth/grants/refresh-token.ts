/**
 * @module The `refresh_token` grant (RFC 6749 section 6, OAuth 2.1 section 4.3). A grant's
 * refresh token is `{grant id}.{secret}` and is bound to its client (OAuth 2.1 section
 * 4.3.1): another client, or Warden's legacy `/refresh` (which knows only sessions), is
 * refused. Rotation, grace (the same successor again) and reuse detection (any superseded
 * generation) are the sessions' own refresh chain (refresh-chain.ts) with the grant id as the
 * chain id; reuse ends the grant. A refresh keeps the
 * grant's Warden session alive (its idle expiry moves, never past its absolute expiry).
 * `scope` may narrow this access token (section 6), never widen the grant.
 */
import { audit } from "../../../audit.ts";
import { grantClaims, userClaims } from "../../../oauth/claims.ts";
import { oauthFail, type OAuthResult } from "../../../oauth/errors.ts";
import { getGrant, revokeGrant, scopesOf } from "../../../oauth/grants.ts";
import { parseChainToken, rotateChain } from "../../../refresh-chain.ts";
import { getSession, isLive } from "../../../sessions.ts";
import { getUser } from "../../../users.ts";
import type { TokenAnswer } from "../token.ts";
import { scopeParam, signAnswer, type GrantContext, type Signable } from "./issue.ts";

const INVALID = "The refresh token is invalid, expired or revoked.";

export async function refreshTokenGrant(g: GrantContext): Promise<OAuthResult<TokenAnswer>> {
  const { rt, ctx, client, params } = g;
  const token = params.refresh_token;
  if (!token) return oauthFail("invalid_request", "refresh_token is required.");
  const requested = scopeParam(params);
  if (!requested.ok) return requested;
  const chain = parseChainToken(token)?.chainId;
  const pre = chain ? getGrant(ctx.sql, chain) : null;
  if (!chain || !pre || pre.client_id !== client.client_id || pre.user_id === null) return oauthFail("invalid_grant", INVALID);
  const preUser = getUser(ctx.sql, pre.user_id);
  if (!preUser) return oauthFail("invalid_grant", INVALID);
  const secret = await rt.userSecret(preUser);
  const r = rt.tx(ctx, (): OAuthResult<Signable> => {
    const grant = getGrant(ctx.sql, chain);
    const session = grant?.session_id ? getSession(ctx.sql, grant.session_id) : null;
    const user = grant?.user_id ? getUser(ctx.sql, grant.user_id) : null;
    if (!grant || grant.revoked_at !== null || !session || !isLive(session, ctx.now) || !user || user.status !== "active" || user.secret_version !== preUser.secret_version) {
      return oauthFail("invalid_grant", INVALID);
    }
    const scopes = scopesOf(grant);
    if (requested.value && requested.value.some((s) => !scopes.includes(s))) return oauthFail("invalid_scope", "scope may only narrow the grant's scope.");
    const out = rotateChain(ctx, grant.id, secret, token);
    if (out.kind === "unknown") return oauthFail("invalid_grant", INVALID);
    if (out.kind === "reuse") {
      revokeGrant(ctx, grant, "refresh_reuse");
      audit(ctx, { type: "refresh.reuse", userId: user.id, sessionId: session.id, meta: g.meta, data: { client_id: client.client_id, grant: grant.id } });
      return oauthFail("invalid_grant", "Refresh token reuse detected; the grant is revoked.");
    }
    const idle = Math.min(session.expires_at, ctx.now + ctx.settings.refresh_idle_ttl_s * 1000);
    ctx.sql.exec("UPDATE sessions SET last_refreshed_at = ?, idle_expires_at = ? WHERE id = ?", ctx.now, idle, session.id);
    ctx.sql.exec("UPDATE grants SET last_refreshed_at = ? WHERE id = ?", ctx.now, grant.id);
    audit(ctx, { type: "oauth.token", userId: user.id, sessionId: session.id, meta: g.meta, data: { grant_type: "refresh_token", client_id: client.client_id, grant: grant.id } });
    // A scope the client's registration no longer allows drops out of the new token.
    const allowed = client.scope.split(" ");
    const claims = grantClaims(ctx, user, { ...session, idle_expires_at: idle }, grant, (requested.value ?? scopes).filter((s) => allowed.includes(s)));
    return {
      ok: true,
      value: {
        claims,
        secret,
        refreshToken: out.token,
        // OIDC Core section 12.2: a new ID token, same sub and auth_time, no nonce.
        idToken: scopes.includes("openid")
          ? { sub: user.id, sid: session.id, authTime: grant.auth_time ?? session.created_at, nonce: null, amr: JSON.parse(session.amr), extra: userClaims(user, claims.scope.split(" ")) }
          : null,
      },
    };
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return { ok: true, value: await signAnswer(g, r.value) };
}
