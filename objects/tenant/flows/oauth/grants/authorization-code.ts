/**
 * @module The `authorization_code` grant (RFC 6749 section 4.1.3, OAuth 2.1 section 4.1.3,
 * RFC 7636 section 4.6). The code must be this client's, unexpired, unused, presented with
 * the same redirect URI and a verifier whose S256 hash is the challenge, under a live Warden
 * session. A code presented again ends the grant it created and every token of it (RFC 6749
 * section 4.1.2). Every other refusal changes nothing: the code stays usable by its owner.
 */
import { utf8 } from "../../../../../src/crypto/bytes.ts";
import { sha256B64 } from "../../../../../src/crypto/digest.ts";
import { timingSafeEqual } from "../../../../../src/crypto/timing-safe-equal.ts";
import { audit } from "../../../audit.ts";
import { consumeCode, findCode } from "../../../oauth/codes.ts";
import { grantClaims, userClaims } from "../../../oauth/claims.ts";
import { oauthFail, type OAuthResult } from "../../../oauth/errors.ts";
import { createGrant, getGrant, revokeGrant, scopesOf } from "../../../oauth/grants.ts";
import { startChain } from "../../../refresh-chain.ts";
import { getSession, isLive } from "../../../sessions.ts";
import { getUser } from "../../../users.ts";
import type { TokenAnswer } from "../token.ts";
import { resourceParam, signAnswer, type GrantContext, type Signable } from "./issue.ts";

/** RFC 7636 section 4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 section 4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time. */
export const pkceMatches = (verifier: string, challenge: string): boolean => timingSafeEqual(utf8(sha256B64(verifier)), utf8(challenge));

/** A refresh token only with `offline_access` (OIDC Core section 11), or for a first-party client (its policy). */
export const wantsRefresh = (g: GrantContext, scopes: string[]): boolean =>
  g.client.grant_types.includes("refresh_token") && (scopes.includes("offline_access") || g.client.first_party);

export async function authorizationCodeGrant(g: GrantContext): Promise<OAuthResult<TokenAnswer>> {
  const { rt, ctx, client, params } = g;
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = params;
  if (!code) return oauthFail("invalid_request", "code is required.");
  if (!redirectUri) return oauthFail("invalid_request", "redirect_uri is required.");
  if (!verifier) return oauthFail("invalid_request", "code_verifier is required (PKCE, RFC 7636).");
  if (!VERIFIER.test(verifier)) return oauthFail("invalid_grant", "The code_verifier is malformed.");
  const resource = resourceParam(params);
  if (!resource.ok) return resource;
  // The user's secret keys the refresh token; unsealing it is async, so before the transaction.
  const pre = findCode(ctx.sql, code);
  const preUser = pre ? getUser(ctx.sql, pre.user_id) : null;
  const secret = preUser ? await rt.userSecret(preUser) : null;
  const r = rt.tx(ctx, (): OAuthResult<Signable> => {
    const row = findCode(ctx.sql, code);
    if (!row || row.client_id !== client.client_id) return oauthFail("invalid_grant", "The code is invalid, expired or used.");
    if (row.consumed_at !== null) {
      // RFC 6749 section 4.1.2: a code used twice revokes what it was used for.
      const grant = row.grant_id ? getGrant(ctx.sql, row.grant_id) : null;
      if (grant && revokeGrant(ctx, grant, "code_reuse")) {
        audit(ctx, { type: "oauth.code_reuse", userId: row.user_id, sessionId: row.session_id, meta: g.meta, data: { client_id: client.client_id, grant: grant.id } });
      }
      return oauthFail("invalid_grant", "The code is invalid, expired or used.");
    }
    if (ctx.now >= row.expires_at) return oauthFail("invalid_grant", "The code is invalid, expired or used.");
    // RFC 6749 section 4.1.3: identical to the authorization request's (no loopback port leeway here).
    if (redirectUri !== row.redirect_uri) return oauthFail("invalid_grant", "redirect_uri does not match the authorization request.");
    if (!pkceMatches(verifier, row.code_challenge)) return oauthFail("invalid_grant", "PKCE verification failed.");
    if (resource.value !== null && resource.value !== row.resource) return oauthFail("invalid_target", "resource differs from the authorization request.");
    // The authorization endpoint checked the scope; the client's registration may have narrowed since.
    const allowed = client.scope.split(" ");
    if (row.scope && row.scope.split(" ").some((s) => !allowed.includes(s))) return oauthFail("invalid_scope", "The code's scope is no longer allowed for this client.");
    const session = getSession(ctx.sql, row.session_id);
    const user = getUser(ctx.sql, row.user_id);
    if (!session || !isLive(session, ctx.now) || session.user_id !== row.user_id) return oauthFail("invalid_grant", "The session the code was issued under has ended.");
    if (!user || user.status !== "active" || !secret || !preUser || user.secret_version !== preUser.secret_version) return oauthFail("invalid_grant", "The code is invalid, expired or used.");
    const grant = createGrant(ctx, { sessionId: session.id, userId: user.id, clientId: client.client_id, scope: row.scope ? row.scope.split(" ") : [], resource: row.resource, authTime: row.auth_time, nonce: row.nonce });
    consumeCode(ctx, row, grant.id);
    const scopes = scopesOf(grant);
    const refreshToken = wantsRefresh(g, scopes) ? startChain(ctx, grant.id, secret) : null;
    audit(ctx, { type: "oauth.token", userId: user.id, sessionId: session.id, meta: g.meta, data: { grant_type: "authorization_code", client_id: client.client_id, grant: grant.id, refresh: !!refreshToken } });
    const claims = grantClaims(ctx, user, session, grant);
    return {
      ok: true,
      value: {
        claims,
        secret,
        refreshToken,
        idToken: scopes.includes("openid")
          ? { sub: user.id, sid: session.id, authTime: row.auth_time, nonce: row.nonce, amr: JSON.parse(session.amr), extra: userClaims(user, claims.scope.split(" ")) }
          : null,
      },
    };
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return { ok: true, value: await signAnswer(g, r.value) };
}
