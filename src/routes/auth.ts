/**
 * @module Sign-up, login, refresh, logout, logout-all, RFC 7009 revocation, RFC 7662
 * introspection and the JWKS. Passwords are normalised, checked and hashed here, in the Worker;
 * the tenant object stores, compares versions and decides.
 */
import { Hono } from "hono";
import { AuthError, unwrap } from "../errors.ts";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "../crypto/password.ts";
import { normalizePassword } from "../crypto/password-policy.ts";
import { normalizeEmail, normalizeLogin, normalizeUsername } from "../../schema/identifiers.ts";
import { loginBody, refreshBody, signupBody, tokenBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { readBody, noBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent, noStore } from "../http/helpers.ts";
import { bearer } from "../middleware/admin-auth.ts";
import { assertPasswordPolicy, rememberPolicy, withPolicy } from "../passwords.ts";
import { turnstile } from "../turnstile.ts";

export const authRoutes = new Hono<AppEnv>();

/** Normalises a body's email and username (SPEC section 4); either one invalid → invalid_request. */
export function identifiers(b: { email?: string; username?: string }) {
  const email = b.email === undefined ? null : normalizeEmail(b.email);
  const username = b.username === undefined ? null : normalizeUsername(b.username);
  const details = [];
  if (b.email !== undefined && !email) details.push({ path: "email", code: "invalid_format", message: "not a valid email address" });
  if (b.username !== undefined && !username) details.push({ path: "username", code: "invalid_format", message: "3–64 of a-z 0-9 . _ -" });
  if (details.length) throw new AuthError("invalid_request", undefined, { details });
  return { email, username };
}

/**
 * Two calls around the hash: `signupStart` refuses what needs no password to refuse (unknown
 * tenant, sign-up off, Turnstile, the per-IP limit, which it reserves) and answers the policy;
 * only then is the password hashed, and `signup` creates the account.
 */
authRoutes.post("/signup", async (c) => {
  const b = await readBody(c, signupBody);
  const ids = identifiers(b);
  // The checks that need only the plaintext, before the object counts the request.
  assertPasswordPolicy(b.password);
  const verified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  const stub = c.get("tenant");
  const gate = { email_norm: ids.email, username_norm: ids.username, meta: meta(c), turnstileVerified: verified };
  const { policy } = unwrap(await stub.signupStart(gate));
  const r = await withPolicy(c.get("slug"), b.password, policy, (password) =>
    stub.signup({
      ...gate,
      email: b.email?.normalize("NFKC") ?? null,
      username: b.username?.normalize("NFKC") ?? null,
      password,
      metadata: b.metadata ?? {},
    }),
  );
  return noStore(c, unwrap(r), 201);
});

/**
 * Two calls around the hash check: `loginStart` counts the attempt and returns the stored hash
 * (or none: a dummy of the same cost is verified, so unknown users take as long), then
 * `loginFinish` records the outcome, guarded by the secret version it read.
 */
authRoutes.post("/login", async (c) => {
  const b = await readBody(c, loginBody);
  const login = normalizeLogin(b.login);
  if (!login) throw new AuthError("invalid_request", undefined, { details: [{ path: "login", code: "invalid_format", message: "an email address or a username" }] });
  const verified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  const stub = c.get("tenant");
  const start = unwrap(await stub.loginStart({ login, meta: meta(c), turnstileVerified: verified, turnstileAvailable: !!c.env.TURNSTILE_SECRET_KEY }));
  rememberPolicy(c.get("slug"), start.policy);
  const password = normalizePassword(b.password);
  const ok = (await verifyPassword(password, start.hash ?? dummyHash(start.policy.hash))) && start.hash !== null;
  const rehash = ok && needsRehash(start.hash!, start.policy.hash) ? { hash: await hashPassword(password, start.policy.hash), algorithm: start.policy.hash } : null;
  const r = await stub.loginFinish({ userId: start.userId, attemptKey: start.attemptKey, verified: ok, secretVersion: start.secretVersion, rehash, meta: meta(c) });
  return noStore(c, unwrap(r));
});

authRoutes.post("/refresh", async (c) => {
  const b = await readBody(c, refreshBody, { form: true });
  return answer(c, c.get("tenant").refresh({ refreshToken: b.refresh_token, meta: meta(c) }));
});

authRoutes.post("/logout", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  unwrap(await c.get("tenant").logout({ accessToken: token }));
  return noContent(c);
});

authRoutes.post("/logout-all", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  unwrap(await c.get("tenant").logoutAll({ accessToken: token }));
  return noContent(c);
});

/** RFC 7009 section 2.2: 200 whether or not the token was valid. */
authRoutes.post("/revoke", async (c) => {
  const b = await readBody(c, tokenBody, { form: true });
  unwrap(await c.get("tenant").revoke({ token: b.token }));
  return noStore(c, {});
});

/** RFC 7662: the caller authenticates with an API key that has the `introspect` scope. */
authRoutes.post("/introspect", async (c) => {
  const h = c.req.header("authorization");
  if (!h) throw new AuthError("unauthorized");
  const key = bearer(h);
  if (!key) throw new AuthError("invalid_token", "Invalid API key.");
  const b = await readBody(c, tokenBody, { form: true });
  return answer(c, c.get("tenant").introspect({ apiKey: key, token: b.token }));
});

authRoutes.get("/.well-known/jwks.json", async (c) => {
  const body = unwrap(await c.get("tenant").jwks());
  c.header("Cache-Control", "public, max-age=300");
  return c.json(body);
});
