/**
 * @module Sign-up, login (two calls around the Worker's password check), refresh with reuse
 * detection, logout, logout-all, RFC 7009 revocation, RFC 7662 introspection and the JWKS.
 */
import { beginWithToken } from "../bearer.ts";
import { userId } from "../../../src/crypto/random.ts";
import { fail, ok, type Failure, type Result } from "../../../src/errors.ts";
import type { Settings, TURNSTILE_ROUTES } from "../../../schema/settings.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { checkNewPassword, passwordPolicy, type HashedPassword, type PasswordPolicy } from "../password-rules.ts";
import { accountKey, clearAttempts, failureCount, ipKey, lockedOut, lockOf, loginKey, rateLimit, reserveAttempt } from "../attempts.ts";
import { audit } from "../audit.ts";
import { checkApiKey } from "../api-keys.ts";
import { jwks } from "../keys.ts";
import { logMessage, mustVerifyEmail, queueEmailVerification, UNVERIFIED_MESSAGE, type Message } from "../messages.ts";
import { secondFactor } from "../mfa.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { parseChainToken } from "../refresh-chain.ts";
import { createSession, getSession, isLive, revokeSession, rotateRefreshToken } from "../sessions.ts";
import { clientOf, inspect, introspection, isActive } from "../oauth/inspect.ts";
import { buildClaims, checkLive } from "../tokens.ts";
import { findUserByLogin, getCredential, getUser, identifierTaken, insertUser, rotateSecret, setCredential, toPublicUser, type UserRow } from "../users.ts";

export interface SignupStartInput {
  email_norm: string | null;
  username_norm: string | null;
  meta: RequestMeta;
  turnstileVerified: boolean;
}

export interface SignupInput extends SignupStartInput {
  email: string | null;
  username: string | null;
  password: HashedPassword;
  metadata: Record<string, unknown>;
}

/** Issues a session and the claims of its first access token, inside the caller's transaction; `passkeyId` names the passkey that signed it in. */
export function issue(ctx: TenantCtx, user: UserRow, secret: Uint8Array, amr: string[], meta: RequestMeta, passkeyId: string | null = null): Issued {
  const { session, refreshToken } = createSession(ctx, user.id, secret, amr, meta, passkeyId);
  return { claims: buildClaims(ctx, user, session), refreshToken, user: toPublicUser(ctx.sql, user), secret };
}

export function limited(ctx: TenantCtx, route: "signup" | "login" | "magic_link" | "password_forgot", ip: string | null): Result<void> {
  const rl = ctx.settings.rate_limits[route];
  const g = rateLimit(ctx, ipKey(`rl:${route}`, ip), rl.limit, rl.window_s);
  return g.ok ? ok(undefined) : fail("rate_limited", undefined, { retryAfter: g.retryAfter ?? rl.window_s });
}

export function needsTurnstile(ctx: TenantCtx, route: (typeof TURNSTILE_ROUTES)[number], verified: boolean): boolean {
  return !verified && ctx.settings.turnstile.required_for.includes(route);
}

/** What refuses a sign-up whatever its password: sign-up disabled, an identifier kind the tenant does not take, Turnstile missing. */
function signupGate(ctx: TenantCtx, i: SignupStartInput): Result<void> {
  const s = ctx.settings.signup;
  if (!s.enabled) return fail("forbidden", "Sign-up is disabled for this tenant.");
  if ((i.email_norm && !s.identifiers.includes("email")) || (i.username_norm && !s.identifiers.includes("username"))) {
    return fail("invalid_request", `This tenant signs users up with: ${s.identifiers.join(", ")}.`);
  }
  if (needsTurnstile(ctx, "signup", i.turnstileVerified)) return fail("turnstile_required");
  return ok(undefined);
}

/**
 * The cheap first call of a sign-up, before the router spends a hash on it: the tenant, the
 * gates above, and the per-IP limit, which is *reserved* here (counted in a transaction), so
 * of 50 parallel sign-ups only `rate_limits.signup.limit` get the policy back and hash. Answers
 * the tenant's password policy, so the router hashes once, with the right algorithm. `signup`
 * does not count the request again.
 */
export async function signupStart(rt: Runtime, i: SignupStartInput): Promise<Result<{ policy: PasswordPolicy }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const g = signupGate(ctx, i);
  if (!g.ok) return g;
  const r = rt.tx(ctx, () => limited(ctx, "signup", i.meta.ip));
  await rt.commit(ctx);
  return r.ok ? ok({ policy: passwordPolicy(ctx) }) : r;
}

/** The second call, with the hash: the gates again (settings may have changed in between), then the account. */
export async function signup(rt: Runtime, i: SignupInput): Promise<Result<TokenResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const s = ctx.settings.signup;
  const g = signupGate(ctx, i);
  if (!g.ok) return g;
  const bad = checkNewPassword(ctx, i.password);
  if (bad) return bad;
  const id = userId();
  const secret = await rt.newSecret(id);
  const r = rt.tx(ctx, (): Result<SignedUp> => {
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
    // With `mfa.required` the account stands, and its first session waits for a TOTP.
    const second = secondFactor(ctx, user, ["pwd"], { signup: true });
    return ok(second ? { enroll: second, message } : { ...issue(ctx, user, secret.bytes, ["pwd"], i.meta), message });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value.message);
  rt.rememberSecret(id, 1, secret.bytes);
  if ("enroll" in r.value) return r.value.enroll;
  return ok(await rt.respond(ctx, r.value));
}

/** A sign-up's transaction: the new account's session, or (with `mfa.required`) the enrollment it waits for; and its verification message. */
export type SignedUp = ({ enroll: { ok: false; error: Failure } } | Issued) & { message: Message | null };

export interface LoginStartInput {
  login: { kind: "email" | "username"; value: string };
  meta: RequestMeta;
  turnstileVerified: boolean;
  /** The Worker can verify Turnstile (it has a secret): past the hard limit, ask for it rather than lock. */
  turnstileAvailable?: boolean;
}

export interface LoginChallenge {
  userId: string | null;
  /** The stored PHC hash, or null (unknown user, or no password): the Worker verifies a dummy. */
  hash: string | null;
  secretVersion: number;
  attemptKey: string;
  /** The tenant's password settings, so the Worker verifies against a dummy of the same cost and knows when to rehash (no new password: no context words to build). */
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
    // The identifier, not the account: see attempts.ts (a lock by email must not show on the username).
    const attemptKey = loginKey(i.login);
    const ts = ctx.settings.turnstile;
    if (needsTurnstile(ctx, "login", i.turnstileVerified)) return fail("turnstile_required");
    if (!i.turnstileVerified && ts.after_failures !== null) {
      const failures = Math.max(failureCount(ctx.sql, attemptKey), failureCount(ctx.sql, ipKey("fail", i.meta.ip)));
      if (failures >= ts.after_failures) return fail("turnstile_required");
    }
    const gate = limited(ctx, "login", i.meta.ip);
    if (!gate.ok) return gate;
    // The account's own subject (MFA codes, password re-checks) is looked up for unknown logins too: same statements.
    const held = lockOf(ctx, accountKey(user?.id ?? "-"));
    const lock = held.ok ? reserveAttempt(ctx, attemptKey, { available: i.turnstileAvailable ?? false, verified: i.turnstileVerified }) : held;
    if (!lock.ok) {
      audit(ctx, { type: "login.locked", userId: user?.id ?? null, meta: i.meta, data: lock.turnstile ? { escalated: "turnstile" } : undefined });
      return lockedOut(lock);
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
      rateLimit(ctx, ipKey("fail", i.meta.ip), Number.MAX_SAFE_INTEGER, 3600);
      audit(ctx, { type: "login.failure", userId: user?.id ?? null, meta: i.meta, data: { reason: !i.verified ? "password" : "state" } });
      return fail("invalid_credentials");
    }
    clearAttempts(ctx, i.attemptKey);
    if (i.rehash) setCredential(ctx, user.id, i.rehash.hash, i.rehash.algorithm);
    // Account security: an unverified email (when the tenant requires it), then the second factor.
    if (mustVerifyEmail(ctx, user)) return fail("forbidden", UNVERIFIED_MESSAGE);
    const second = secondFactor(ctx, user, ["pwd"]);
    if (second) return second;
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
 * RFC 7009: always 200. A refresh token revokes its session (any token of the chain, so a
 * superseded one too; a forgery does not); an access token with a valid signature revokes its
 * session. A token issued to an OAuth client is revoked only by that client (RFC 7009 section
 * 2.1, `flows/oauth/revocation.ts`); here it is left alone.
 */
export async function revoke(rt: Runtime, i: { token: string }): Promise<Result<null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const t = await inspect(rt, ctx, i.token);
  if (!t || clientOf(t) !== null || (t.kind === "access" && typeof t.claims.client_id === "string")) return ok(null);
  const sid = t.kind === "refresh" ? t.chainId : t.claims.sid;
  rt.tx(ctx, () => {
    const s = getSession(ctx.sql, sid);
    // Only a live token revokes: one with an older `ver` is already dead, and must not end the
    // session that continued after a credential change.
    if (s && s.revoked_at === null && isActive(ctx, t, { anyGeneration: true }) && revokeSession(ctx, s, "revoked")) {
      audit(ctx, { type: "session.revoked", userId: s.user_id, sessionId: s.id, data: { via: "revoke" } });
    }
  });
  await rt.commit(ctx);
  return ok(null);
}

export type IntrospectResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * RFC 7662, answered from live state (`oauth/inspect.ts`): the session or grant, the user's
 * status, `secret_version`, roles and scope as they are now; `auth_time` is the earlier of the
 * token's and the session's (as for step-up). Only `jti`, `iat` and `exp` come from the token,
 * so a validly signed token (anyone holding an `HS256` tenant's shared secret can sign one)
 * cannot widen what it grants, and one whose lifetime exceeds `access_ttl_s` is refused in
 * `verifyAccessToken`.
 */
export async function introspect(rt: Runtime, i: { apiKey: string; token: string }): Promise<Result<IntrospectResponse>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const key = checkApiKey(ctx.sql, i.apiKey, "introspect", ctx.now);
  if (!key.ok) return key.reason === "scope" ? fail("forbidden", "The API key lacks the introspect scope.") : fail("invalid_token", "Invalid API key.");
  return ok(introspection(ctx, await inspect(rt, ctx, i.token)) as IntrospectResponse);
}

export async function jwksOf(rt: Runtime): Promise<Result<{ keys: Record<string, unknown>[] }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  return ok(jwks(b.value.sql, b.value.now));
}
