/**
 * @module What the grants share: their input, the `resource` and `scope` parameter checks,
 * and signing the answer after the commit (access token, then the ID token whose `at_hash`
 * covers it).
 */
import type { ClientRow } from "../../../clients.ts";
import type { RequestMeta, TenantCtx } from "../../../context.ts";
import { oauthFail, oauthOk, type OAuthResult } from "../../../oauth/errors.ts";
import { signIdToken } from "../../../oauth/id-token.ts";
import type { Runtime } from "../../../runtime.ts";
import { signAccessToken, type AccessClaims } from "../../../tokens.ts";
import type { TokenAnswer } from "../token.ts";

export interface GrantContext {
  rt: Runtime;
  ctx: TenantCtx;
  client: ClientRow;
  params: Record<string, string>;
  meta: RequestMeta;
}

/** RFC 8707 section 2: an absolute URI without a fragment. */
export function resourceParam(params: Record<string, string>): OAuthResult<string | null> {
  const r = params.resource;
  if (r === undefined) return oauthOk(null);
  let u: URL;
  try {
    u = new URL(r);
  } catch {
    return oauthFail("invalid_target", "resource must be an absolute URI.");
  }
  if (u.hash || r.includes("#") || r.length > 2000) return oauthFail("invalid_target", "resource must not contain a fragment.");
  return oauthOk(r);
}

/** The `scope` parameter as a list (RFC 6749 section 3.3), or null when absent. */
export function scopeParam(params: Record<string, string>): OAuthResult<string[] | null> {
  const s = params.scope;
  if (s === undefined) return oauthOk(null);
  const list = s.split(" ");
  if (list.some((x) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(x))) return oauthFail("invalid_scope", "scope is a space-separated list of scope tokens.");
  return oauthOk([...new Set(list)]);
}

export interface Signable {
  claims: AccessClaims;
  /** The user's secret, for `user-HS512` tenants; unused otherwise. */
  secret: Uint8Array;
  refreshToken: string | null;
  idToken: { sub: string; sid: string; authTime: number; nonce: string | null; amr: string[]; extra: Record<string, unknown> } | null;
}

export async function signAnswer(g: GrantContext, s: Signable): Promise<TokenAnswer> {
  const { rt, ctx, client } = g;
  const access = await signAccessToken(rt.ring, ctx.settings, s.claims, s.secret);
  const out: TokenAnswer = { access_token: access, token_type: "Bearer", expires_in: s.claims.exp - s.claims.iat, scope: s.claims.scope };
  if (s.refreshToken) out.refresh_token = s.refreshToken;
  if (s.idToken) {
    out.id_token = await signIdToken(rt, ctx, {
      clientId: client.client_id,
      alg: client.id_token_signed_response_alg,
      ...s.idToken,
      accessToken: access,
      ttlS: ctx.settings.access_ttl_s,
    });
  }
  return out;
}
