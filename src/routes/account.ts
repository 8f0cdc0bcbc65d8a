/**
 * @module Passwordless sign-in and account recovery: magic links, password reset, email
 * verification (with the account's session). Requests for a link answer 202 whether or not the address is known; the
 * new password of a reset is checked and hashed here, in the Worker.
 */
import { Hono, type Context } from "hono";
import { AuthError, unwrap, type Result } from "../errors.ts";
import { normalizeEmail } from "../../schema/identifiers.ts";
import { emailBody, oneTimeTokenBody, resetBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { noBody, readBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent, noStore, optionalAccessToken } from "../http/helpers.ts";
import { assertPasswordPolicy, withPolicy, type PasswordPolicy } from "../passwords.ts";
import { turnstile } from "../turnstile.ts";

export const accountRoutes = new Hono<AppEnv>();

/** What a link request needs: the address as typed (NFKC) and normalised, Turnstile's verdict, request metadata. */
async function linkRequest(c: Context<AppEnv>) {
  const b = await readBody(c, emailBody);
  const turnstileVerified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  return emailRequest(c, b.email, turnstileVerified);
}

/** The input of a magic-link or forgot-password request, for the REST routes and the hosted pages alike. */
export function emailRequest(c: Context<AppEnv>, email: string, turnstileVerified: boolean) {
  const emailNorm = normalizeEmail(email);
  if (!emailNorm) throw new AuthError("invalid_request", undefined, { details: [{ path: "email", code: "invalid_format", message: "not a valid email address" }] });
  return { email: email.normalize("NFKC"), emailNorm, meta: meta(c), turnstileVerified };
}

const accepted = (c: Context<AppEnv>) => noStore(c, {}, 202);

accountRoutes.post("/magic-link", async (c) => {
  unwrap(await c.get("tenant").requestMagicLink(await linkRequest(c)));
  return accepted(c);
});

accountRoutes.post("/magic-link/verify", async (c) => {
  const b = await readBody(c, oneTimeTokenBody);
  return answer(c, c.get("tenant").verifyMagicLink({ token: b.token, meta: meta(c) }));
});

accountRoutes.post("/password/forgot", async (c) => {
  unwrap(await c.get("tenant").forgotPassword(await linkRequest(c)));
  return accepted(c);
});

accountRoutes.post("/password/reset", async (c) => {
  const b = await readBody(c, resetBody);
  unwrap(await resetWithToken(c, b.token, b.new_password));
  return noContent(c);
});

/**
 * The password reset as both the REST route and the hosted reset page run it: `resetStart`
 * looks at the token (and answers the policy) before the new password is hashed, so a dead
 * token costs no hash; `resetPassword` spends it. A password the policy refuses throws
 * `password_policy` before the object is asked.
 */
export async function resetWithToken(c: Context<AppEnv>, token: string, newPassword: string): Promise<Result<null>> {
  assertPasswordPolicy(newPassword);
  const stub = c.get("tenant");
  const started = (await stub.resetStart({ token })) as Result<{ policy: PasswordPolicy; identifiers: string[] }>;
  if (!started.ok) return { ok: false, error: started.error };
  return withPolicy(newPassword, started.value.policy, started.value.identifiers, c.env, (password) => stub.resetPassword({ token, password, meta: meta(c) }));
}

accountRoutes.post("/email/verify/request", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  unwrap(await c.get("tenant").requestEmailVerification({ accessToken: token, meta: meta(c) }));
  return accepted(c);
});

/** Needs the account's own session as well as the token (see verifyEmail); without it, 401 `unauthorized`. */
accountRoutes.post("/email/verify", async (c) => {
  const token = optionalAccessToken(c);
  const b = await readBody(c, oneTimeTokenBody);
  unwrap(await c.get("tenant").verifyEmail({ token: b.token, accessToken: token, meta: meta(c) }));
  return noContent(c);
});
