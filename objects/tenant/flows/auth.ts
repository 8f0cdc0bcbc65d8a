/**
 * @module Sign-up, login (two calls around the Worker's password check), refresh with reuse
 * detection, logout, logout-all, RFC 7009 revocation, RFC 7662 introspection and the JWKS.
 */
import { beginWithToken } from "../bearer.ts";
import { userId } from "../../../src/crypto/random.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import type { Settings, TURNSTILE_ROUTES } from "../../../schema/settings.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { checkNewPassword, type HashedPassword } from "../password-rules.ts";
import { accountKey, clearAttempts, failureCount, rateLimit, reserveAttempt } from "../attempts.ts";
import { audit } from "../audit.ts";
import { checkApiKey } from "../api-keys.ts";
import { jwks } from "../keys.ts";
import { logMessage, mustVerifyEmail, queueEmailVerification, UNVERIFIED_MESSAGE, type Message } from "../messages.ts";
import { mfaChallenge } from "../mfa.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { chainTokenState, parseChainToken } from "../refresh-chain.ts";
import { createSession, getSession, isLive, revokeSession, rotateRefreshToken, type SessionRow } from "../sessions.ts";
import { authTimeOf } from "../step-up.ts";
import { accessOf, audienceOf, buildClaims, checkLive } from "../tokens.ts";
import { findUserByLogin, getCredential, getUser, identifierTaken, insertUser, mfaEnabled, rotateSecret, setCredential, toPublicUser, type UserRow } from "../users.ts";

export interface SignupInput {
  email: string | null;
  username: string | null;
  email_norm: string | null;
  username_norm: string | null;
  password: HashedPassword;
  metadata: Record<string, unknown>;
  meta: RequestMeta;
  turnstileVerified: boolean;
}

/** Issues a session and the claims of its first access token, inside the caller's transaction; `passkeyId` names the passkey that signed it in. */
export function issue(ctx: TenantCtx, user: UserRow, secret: Uint8Array, amr: string[], meta: RequestMeta, passkeyId: string | null = null): Issued {
  const { session, refreshToken } = createSession(ctx, user.id, secret, amr, meta, passkeyId);
  return { claims: buildClaims(ctx, user, session), refreshToken, user: toPublicUser(ctx.sql, user), secret };
}

export function limited(ctx: TenantCtx, route: "signup" | "login" | "magic_link" | "password_forgot", ip: string | null): Result<void> {
  const rl = ctx.settings.rate_limits[route];
  const g = rateLimit(ctx, `rl:${route}:ip:${ip ?? "unknown"}`, rl.limit, rl.window_s);
  return g.ok ? ok(undefined) : fail("rate_limited", undefined, { retryAfter: g.retryAfter ?? rl.window_s });
}

export function needsTurnstile(ctx: TenantCtx, route: (typeof TURNSTILE_ROUTES)[number], verified: boolean): boolean {
  return !verified && ctx.settings.turnstile.required_for.includes(route);
}

export async function signup(rt: Runtime, i: SignupInput): Promise<Result<TokenResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const s = ctx.settings.signup;
  if (!s.enabled) return fail("forbidden", "Sign-up is disabled for this tenant.");
  if ((i.email && !s.identifiers.includes("email")) || (i.username && !s.identifiers.includes("username"))) {
    return fail("invalid_request", `This tenant signs users up with: ${s.identifiers.join(", ")}.`);
  }
  if (needsTurnstile(ctx, "signup", i.turnstileVerified)) return fail("turnstile_required");
  const bad = checkNewPassword(ctx, i.password);
  if (bad) return bad;
  const id = userId();
  const secret = await rt.newSecret(id);
  const r = rt.tx(ctx, (): Result<Issued & { message: Message | null }> => {
    const gate = limited(ctx, "signup", i.meta.ip);
    if (!gate.ok) return gate;
    if (identifierTaken(ctx.sql, { email_norm: i.email_norm, username_norm: i.username_norm })) return fail("conflict", "That email or username is already taken.");
    const user = insertUser(ctx, {
      id,
      email: i.email,
      username: i.username,
      email_norm: i.email_norm,
      username_norm: i.username_norm,
      email_verified: false,
      sealedSecret: secret.sealed,
      metadata: i.metadata,
      hash: i.password.hash,
      algorithm: i.password.algorithm,
    });
    audit(ctx, { type: "signup", userId: id, meta: i.meta });
    // Account security: with require_email_verification the verification message goes out at once.
    const message = s.require_email_verification ? queueEmailVerification(ctx, user) : null;
    return ok({ ...issue(ctx, user, secret.bytes, ["pwd"], i.meta), message });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value.message);
  rt.rememberSecret(id, 1, secret.bytes);
  return ok(await rt.respond(ctx, r.value));
}

export interface LoginStartInput {
  login: { kind: "email" | "username"; value: string };
  meta: RequestMeta;
  turnstileVerified: boolean;
}

export interface LoginChallenge {
  userId: string | null;
  /** The stored PHC hash, or null (unknown user, or no password): the Worker verifies a dummy. */
  hash: string | null;
  secretVersion: number;
  attemptKey: string;
  /** The tenant's password policy, so the Worker verifies against a dummy of the same cost and knows when to rehash. */
  policy: Settings["password"];
}

/**
 * First half of a login. Counts the attempt before the Worker checks the password, so the
 * lockout holds under any number of parallel guesses; returns what the Worker needs.
 */
export async function loginStart(rt: Runtime, i: LoginStartInput): Promise<Result<LoginChallenge>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, (): Result<LoginChallenge> => {
    const user = findUserByLogin(ctx.sql, i.login);
    const attemptKey = accountKey(user?.id ?? `${i.login.kind}:${i.login.value}`);
    const ts = ctx.settings.turnstile;
    if (needsTurnstile(ctx, "login", i.turnstileVerified)) return fail("turnstile_required");
    if (!i.turnstileVerified && ts.after_failures !== null) {
      const failures = Math.max(failureCount(ctx.sql, attemptKey), failureCount(ctx.sql, `fail:ip:${i.meta.ip ?? "unknown"}`));
      if (failures >= ts.after_failures) return fail("turnstile_required");
    }
    const gate = limited(ctx, "login", i.meta.ip);
    if (!gate.ok) return gate;
    const lock = reserveAttempt(ctx, attemptKey);
    if (!lock.ok) {
      audit(ctx, { type: "login.locked", userId: user?.id ?? null, meta: i.meta });
      return fail("locked", undefined, lock.retryAfter === null ? {} : { retryAfter: lock.retryAfter });
    }
    const cred = user ? getCredential(ctx.sql, user.id) : null;
    return ok({ userId: user?.id ?? null, hash: cred?.hash ?? null, secretVersion: user?.secret_version ?? 0, attemptKey, policy: ctx.settings.password });
  });
  await rt.commit(ctx);
  return r;
}

export interface LoginFinishInput {
  userId: string | null;
  attemptKey: string;
  verified: boolean;
  secretVersion: number;
  /** A new hash when the stored one is weaker than the tenant's policy. */
  rehash: { hash: string; algorithm: string } | null;
  meta: RequestMeta;
}

/**
 * Second half. Guarded by `secret_version`: if the password (or anything that rotates the
 * secret) changed after the first half read the hash, the login loses.
 */
export async function loginFinish(rt: Runtime, i: LoginFinishInput): Promise<Result<TokenResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const pre = i.userId && i.verified ? getUser(ctx.sql, i.userId) : null;
  const secret = pre ? await rt.userSecret(pre) : null;
  const r = rt.tx(ctx, (): Result<Issued> => {
    const user = i.userId ? getUser(ctx.sql, i.userId) : null;
    const good = i.verified && user && secret && pre && user.status === "active" && user.secret_version === i.secretVersion && pre.secret_version === user.secret_version;
    if (!good) {
      rateLimit(ctx, `fail:ip:${i.meta.ip ?? "unknown"}`, Number.MAX_SAFE_INTEGER, 3600);
      audit(ctx, { type: "login.failure", userId: user?.id ?? null, meta: i.meta, data: { reason: !i.verified ? "password" : "state" } });
      return fail("invalid_credentials");
    }
    clearAttempts(ctx, i.attemptKey);
    if (i.rehash) setCredential(ctx, user.id, i.rehash.hash, i.rehash.algorithm);
    // Account security: an unverified email (when the tenant requires it), then the second factor.
    if (mustVerifyEmail(ctx, user)) return fail("forbidden", UNVERIFIED_MESSAGE);
    if (mfaEnabled(ctx.sql, user.id)) return mfaChallenge(ctx, user, ["pwd"]);
    audit(ctx, { type: "login.success", userId: user.id, meta: i.meta, data: { amr: ["pwd"], rehashed: !!i.rehash } });
    return ok(issue(ctx, user, secret, ["pwd"], i.meta));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok(await rt.respond(ctx, r.value));
}

export interface RefreshInput {
  refreshToken: string;
  meta: RequestMeta;
}

export async function refresh(rt: Runtime, i: RefreshInput): Promise<Result<TokenResponse>> {
  // The hottest write: concurrent refreshes share one turn and one SQLite commit (the commit,
  // not the statements, was the dearest part of a refresh; npm run bench: ~1,500 -> ~2,500/s).
  await rt.writeTurn();
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const sid = parseChainToken(i.refreshToken)?.chainId;
  if (!sid) return fail("invalid_token");
  // Everything happens in one transaction with the user secret from memory. When it is not in
  // memory, the transaction stops before writing anything, the secret is unsealed (an await,
  // so outside), and the transaction runs again with it, for that secret version only.
  let unsealed: { version: number; bytes: Uint8Array } | null = null;
  for (;;) {
    const r = rt.tx(ctx, (): Result<Issued> | { unseal: UserRow } => {
      const session = getSession(ctx.sql, sid);
      const user = session && getUser(ctx.sql, session.user_id);
      if (!session || !user || user.status !== "active" || !isLive(session, ctx.now)) return fail("invalid_token");
      const secret = rt.knownSecret(user) ?? (unsealed?.version === user.secret_version ? unsealed.bytes : null);
      if (!secret) return unsealed ? fail("invalid_token") : { unseal: user };
      const out = rotateRefreshToken(ctx, session, secret, i.refreshToken);
      if (out.kind === "unknown") return fail("invalid_token");
      if (out.kind === "reuse") {
        audit(ctx, { type: "refresh.reuse", userId: user.id, sessionId: session.id, meta: i.meta });
        return fail("invalid_token", "Refresh token reuse detected; the session is revoked.");
      }
      audit(ctx, { type: "refresh", userId: user.id, sessionId: session.id, meta: i.meta, ...(out.grace ? { data: { grace: true } } : {}) });
      return ok({ claims: buildClaims(ctx, user, out.session), refreshToken: out.refreshToken, user: toPublicUser(ctx.sql, user), secret });
    });
    if ("unseal" in r) {
      unsealed = { version: r.unseal.secret_version, bytes: await rt.userSecret(r.unseal) };
      continue;
    }
    await rt.commit(ctx);
    if (!r.ok) return r;
    return ok(await rt.respond(ctx, r.value));
  }
}

export async function logout(rt: Runtime, i: { accessToken: string }): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    revokeSession(ctx, p.value.session, "logout");
    audit(ctx, { type: "logout", userId: p.value.user.id, sessionId: p.value.session.id });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}

export async function logoutAll(rt: Runtime, i: { accessToken: string }): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const next = await rt.newSecret(claims.sub);
  const r = rt.tx(ctx, (): Result<number> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const ver = rotateSecret(ctx, p.value.user, next.sealed, "logout_all");
    audit(ctx, { type: "logout_all", userId: p.value.user.id, sessionId: p.value.session.id, data: { ver } });
    return ok(ver);
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  rt.rememberSecret(claims.sub, r.value, next.bytes);
  return ok(null);
}

/**
 * RFC 7009: always 200. A refresh token revokes its session (its hash must match, so knowing
 * a session id is not enough); an access token with a valid signature revokes its session.
 */
export async function revoke(rt: Runtime, i: { token: string }): Promise<Result<null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  let target: { sid: string; check: (s: SessionRow) => boolean } | null = null;
  const sid = parseChainToken(i.token)?.chainId;
  if (sid) {
    const s = getSession(ctx.sql, sid);
    const u = s ? getUser(ctx.sql, s.user_id) : null;
    if (s && u) {
      const secret = await rt.userSecret(u);
      // Any token of the chain revokes (a superseded one is reuse anyway); a forged one does not.
      target = {
        sid,
        check: () => getUser(ctx.sql, u.id)?.secret_version === u.secret_version && chainTokenState(ctx, sid, secret, i.token).kind !== "unknown",
      };
    }
  } else {
    const claims = await rt.verifyAccess(ctx, i.token);
    // Only a live token revokes: one with an older `ver` is already dead, and must not end the
    // session that continued after a credential change.
    if (claims) target = { sid: claims.sid, check: () => checkLive(ctx, claims).ok };
  }
  if (!target) return ok(null);
  const t = target;
  rt.tx(ctx, () => {
    const s = getSession(ctx.sql, t.sid);
    if (s && s.revoked_at === null && t.check(s) && revokeSession(ctx, s, "revoked")) {
      audit(ctx, { type: "session.revoked", userId: s.user_id, sessionId: s.id, data: { via: "revoke" } });
    }
  });
  await rt.commit(ctx);
  return ok(null);
}

export type IntrospectResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * RFC 7662, answered from live state: the session, the user's status, `secret_version`,
 * roles and scope as they are now; `auth_time` is the earlier of the token's and the
 * session's (as for step-up). Only `jti`, `iat` and `exp` come from the token, so a
 * validly signed token (anyone holding an `HS256` tenant's shared secret can sign one) cannot
 * widen what it grants, and one whose lifetime exceeds `access_ttl_s` is refused in
 * `verifyAccessToken`.
 */
export async function introspect(rt: Runtime, i: { apiKey: string; token: string }): Promise<Result<IntrospectResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const key = checkApiKey(ctx.sql, i.apiKey, "introspect", ctx.now);
  if (!key.ok) return key.reason === "scope" ? fail("forbidden", "The API key lacks the introspect scope.") : fail("invalid_token", "Invalid API key.");
  const sid = parseChainToken(i.token)?.chainId;
  if (sid) {
    const s = getSession(ctx.sql, sid);
    const u = s ? getUser(ctx.sql, s.user_id) : null;
    if (!s || !u) return ok({ active: false });
    const secret = await rt.userSecret(u);
    const user = getUser(ctx.sql, u.id);
    const session = getSession(ctx.sql, sid);
    if (!session || !isLive(session, ctx.now) || !user || user.status !== "active" || user.secret_version !== u.secret_version) return ok({ active: false });
    if (chainTokenState(ctx, sid, secret, i.token).kind !== "current") return ok({ active: false });
    return ok({ active: true, token_type: "refresh_token", sub: user.id, sid, tid: ctx.slug, iss: ctx.issuer, exp: Math.floor(Math.min(session.expires_at, session.idle_expires_at) / 1000), iat: Math.floor(session.last_refreshed_at / 1000) });
  }
  const claims = await rt.verifyAccess(ctx, i.token);
  if (!claims) return ok({ active: false });
  const live = checkLive(ctx, claims);
  if (!live.ok) return ok({ active: false });
  const { user, session } = live.value;
  const { roles, scope } = accessOf(ctx, user);
  return ok({
    active: true,
    token_type: "access_token",
    client_id: ctx.slug,
    iss: ctx.issuer,
    aud: audienceOf(ctx.slug, ctx.settings),
    sub: user.id,
    tid: ctx.slug,
    sid: session.id,
    ver: user.secret_version,
    roles,
    scope,
    amr: JSON.parse(session.amr),
    auth_time: Math.floor(authTimeOf(claims, session) / 1000),
    email: user.email,
    username: user.username,
    jti: claims.jti,
    iat: claims.iat,
    exp: claims.exp,
  });
}

export async function jwksOf(rt: Runtime): Promise<Result<{ keys: Record<string, unknown>[] }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  return ok(jwks(b.value.sql, b.value.now));
}
