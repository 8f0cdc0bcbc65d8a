/**
 * @module Sign-up, login, refresh, logout, logout-all, RFC 7009 revocation, RFC 7662
 * introspection and the JWKS. Passwords are normalised, checked and hashed here, in the Worker;
 * the tenant object stores, compares versions and decides.
 */
import { Hono, type Context } from "hono";
import type { z } from "zod";
import { AuthError, unwrap, type Result } from "../errors.ts";
import type { TokenResponse } from "../../objects/tenant/runtime.ts";
import type { LoginChallenge } from "../../objects/tenant/flows/auth.ts";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "../crypto/password.ts";
import { normalizePassword } from "../crypto/password-policy.ts";
import { normalizeEmail, normalizeLogin, normalizeUsername } from "../../schema/identifiers.ts";
import { loginBody, refreshBody, signupBody, tokenBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { readBody, noBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent, noStore } from "../http/helpers.ts";
import { bearer } from "../middleware/admin-auth.ts";
import { rememberPolicy, withPolicy } from "../passwords.ts";
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

authRoutes.post("/signup", async (c) => {
  const b = await readBody(c, signupBody);
  const verified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  return noStore(c, unwrap(await createAccount(c, b, verified)), 201);
});

/** Sign-up as both the REST route and the hosted sign-up page run it (one code path for both). */
export async function createAccount(c: Context<AppEnv>, b: z.infer<typeof signupBody>, turnstileVerified: boolean): Promise<Result<TokenResponse>> {
  const ids = identifiers(b);
  const stub = c.get("tenant");
  return withPolicy(c.get("slug"), b.password, (password) =>
    stub.signup({
      email: b.email?.normalize("NFKC") ?? null,
      username: b.username?.normalize("NFKC") ?? null,
      email_norm: ids.email,
      username_norm: ids.username,
      password,
      metadata: b.metadata ?? {},
      meta: meta(c),
      turnstileVerified,
    }),
  );
}

/**
 * Two calls around the hash check: `loginStart` counts the attempt and returns the stored hash
 * (or none: a dummy of the same cost is verified, so unknown users take as long), then
 * `loginFinish` records the outcome, guarded by the secret version it read.
 */
authRoutes.post("/login", async (c) => {
  const b = await readBody(c, loginBody);
  const verified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  return noStore(c, unwrap(await passwordLogin(c, b, verified)));
});

/** The password login as both the REST route and the hosted sign-in page run it (one code path for both). */
export async function passwordLogin(c: Context<AppEnv>, b: { login: string; password: string }, turnstileVerified: boolean): Promise<Result<TokenResponse>> {
  const login = normalizeLogin(b.login);
  if (!login) throw new AuthError("invalid_request", undefined, { details: [{ path: "login", code: "invalid_format", message: "an email address or a username" }] });
  const stub = c.get("tenant");
  const begun: Result<LoginChallenge> = await stub.loginStart({ login, meta: meta(c), turnstileVerified });
  if (!begun.ok) return begun;
  const start = begun.value;
  rememberPolicy(c.get("slug"), start.policy);
  const password = normalizePassword(b.password);
  const ok = (await verifyPassword(password, start.hash ?? dummyHash(start.policy.hash))) && start.hash !== null;
  const rehash = ok && needsRehash(start.hash!, start.policy.hash) ? { hash: await hashPassword(password, start.policy.hash), algorithm: start.policy.hash } : null;
  return stub.loginFinish({ userId: start.userId, attemptKey: start.attemptKey, verified: ok, secretVersion: start.secretVersion, rehash, meta: meta(c) });
}

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
