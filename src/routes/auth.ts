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
import { identifierWords, normalizePassword } from "../crypto/password-policy.ts";
import { normalizeEmail, normalizeLogin, normalizeUsername } from "../../schema/identifiers.ts";
import { loginBody, refreshBody, signupBody, tokenBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { readBody, noBody, zodDetails } from "../http/body.ts";
import type { PresentedClient } from "../../objects/tenant/oauth/client-auth.ts";
import { OAuthError, oauthAnswer, oauthError, oauthErrorResponse, presentedClient, readForm } from "./oauth/respond.ts";
import { accessToken, answer, meta, noContent, noStore } from "../http/helpers.ts";
import { bearer } from "../middleware/admin-auth.ts";
import { assertPasswordPolicy, withPolicy, type PasswordPolicy } from "../passwords.ts";
import { turnstile } from "../turnstile.ts";

export const authRoutes = new Hono<AppEnv>();

/** Normalises a body's email and username; either one invalid → invalid_request. */
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
  const verified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  return noStore(c, unwrap(await createAccount(c, b, verified)), 201);
});

/** Sign-up as both the REST route and the hosted sign-up page run it (one code path for both). */
export async function createAccount(c: Context<AppEnv>, b: z.infer<typeof signupBody>, turnstileVerified: boolean): Promise<Result<TokenResponse>> {
  const ids = identifiers(b);
  // The checks that need only the plaintext, before the object counts the request.
  assertPasswordPolicy(b.password);
  const stub = c.get("tenant");
  // `signupStart` refuses what needs no hash to refuse and reserves the per-IP budget; only
  // then is the password hashed.
  const gate = { email_norm: ids.email, username_norm: ids.username, meta: meta(c), turnstileVerified };
  const started = (await stub.signupStart(gate)) as Result<{ policy: PasswordPolicy }>;
  if (!started.ok) return { ok: false, error: started.error };
  // The account's own identifiers are context words: the password may not lean on them.
  const own = identifierWords(b.email?.normalize("NFKC"), b.username?.normalize("NFKC"));
  return withPolicy(b.password, started.value.policy, own, c.env, (password) =>
    stub.signup({
      ...gate,
      email: b.email?.normalize("NFKC") ?? null,
      username: b.username?.normalize("NFKC") ?? null,
      password,
      metadata: b.metadata ?? {},
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
  const begun: Result<LoginChallenge> = await stub.loginStart({ login, meta: meta(c), turnstileVerified, turnstileAvailable: !!c.env.TURNSTILE_SECRET_KEY });
  if (!begun.ok) return begun;
  const start = begun.value;
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

type Caller = { kind: "client"; client: PresentedClient; token: string } | { kind: "warden"; token: string | null };

/**
 * Who sends a revocation or introspection request. An OAuth client (RFC 7009 section 2.1,
 * RFC 7662 section 2.1) sends a form with its credentials in HTTP Basic or the body; anything
 * else is Warden's own request (JSON or a form; an API key for introspection), whose `token`
 * is read here only if the form was already read.
 */
async function caller(c: Context<AppEnv>): Promise<Caller> {
  const isForm = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase() === "application/x-www-form-urlencoded";
  if (!isForm || /^bearer /i.test(c.req.header("authorization") ?? "")) return { kind: "warden", token: null };
  const params = await readForm(c);
  const client = presentedClient(c, params);
  if (!client) {
    const b = tokenBody.safeParse(params);
    if (!b.success) throw new AuthError("invalid_request", undefined, { details: zodDetails(b.error.issues) });
    return { kind: "warden", token: b.data.token };
  }
  const { token, token_type_hint: _hint, ...rest } = params;
  if (!token) throw oauthError("invalid_request", "token is required.");
  if (Object.keys(rest).length) throw oauthError("invalid_request", `Unknown parameter ${JSON.stringify(Object.keys(rest)[0].slice(0, 64))}.`);
  return { kind: "client", client, token };
}

/** The OAuth answer to a client: its errors in RFC 6749's format, not Warden's. */
async function asClient<T>(c: Context<AppEnv>, fn: () => Promise<Response | T>): Promise<Response | T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OAuthError) return oauthErrorResponse(e.failure, e.scheme);
    throw e;
  }
}

const schemeOf = (p: PresentedClient) => (p.method === "client_secret_basic" ? "Basic" : null);

/** RFC 7009 section 2.2: 200 whether or not the token was valid. */
authRoutes.post("/revoke", async (c) => {
  const who = await asClient(c, () => caller(c));
  if (who instanceof Response) return who;
  if (who.kind === "client") return oauthAnswer(c, await c.get("tenant").clientRevoke(who), schemeOf(who.client));
  const token = who.token ?? (await readBody(c, tokenBody, { form: true })).token;
  unwrap(await c.get("tenant").revoke({ token }));
  return noStore(c, {});
});

/** RFC 7662: the caller authenticates with an API key that has the `introspect` scope, or as an OAuth client. */
authRoutes.post("/introspect", async (c) => {
  const who = await asClient(c, () => caller(c));
  if (who instanceof Response) return who;
  if (who.kind === "client") return oauthAnswer(c, await c.get("tenant").clientIntrospect(who), schemeOf(who.client));
  const h = c.req.header("authorization");
  if (!h) throw new AuthError("unauthorized");
  const key = bearer(h);
  if (!key) throw new AuthError("invalid_token", "Invalid API key.");
  const token = who.token ?? (await readBody(c, tokenBody, { form: true })).token;
  return answer(c, c.get("tenant").introspect({ apiKey: key, token }));
});

authRoutes.get("/.well-known/jwks.json", async (c) => {
  const body = unwrap(await c.get("tenant").jwks());
  c.header("Cache-Control", "public, max-age=300");
  return c.json(body);
});
