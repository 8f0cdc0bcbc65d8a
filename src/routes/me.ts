/**
 * @module The signed-in user's profile. Changing a credential or deleting the account needs
 * the current password: the object returns the stored hash, the Worker verifies it (and
 * hashes a new one), then the object applies the change guarded by the secret version.
 */
import { Hono } from "hono";
import { AuthError, unwrap, type Result } from "../errors.ts";
import { dummyHash, verifyPassword } from "../crypto/password.ts";
import { normalizePassword } from "../crypto/password-policy.ts";
import { normalizeEmail, normalizeUsername } from "../../schema/identifiers.ts";
import { passwordBody, patchMeBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { readBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent, noStore } from "../http/helpers.ts";
import { assertPasswordPolicy, newPassword, policyFor, rememberPolicy, type NewPassword, type PasswordPolicy } from "../passwords.ts";
import type { TenantStub } from "../../objects/tenant.ts";

export const meRoutes = new Hono<AppEnv>();

meRoutes.get("/me", (c) => answer(c, c.get("tenant").me({ accessToken: accessToken(c) })));

/**
 * Verifies `password` against the user's stored hash; an account without one costs the same.
 * `undefined` (PATCH /me only) is right exactly when the account has no password: there is
 * nothing to re-check, so an account left password-less by a magic link or a claim can set one.
 */
export async function checkCurrentPassword(stub: TenantStub, token: string, password: string | undefined): Promise<{ ok: boolean; secretVersion: number }> {
  const start = unwrap(await stub.credentialStart({ accessToken: token }));
  if (password === undefined) return { ok: start.hash === null, secretVersion: start.secretVersion };
  const ok = (await verifyPassword(normalizePassword(password), start.hash ?? dummyHash("argon2id"))) && start.hash !== null;
  return { ok, secretVersion: start.secretVersion };
}

meRoutes.patch("/me", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, patchMeBody);
  const email = b.new_email === undefined ? null : normalizeEmail(b.new_email);
  const username = b.new_username === undefined ? null : normalizeUsername(b.new_username);
  if ((b.new_email !== undefined && !email) || (b.new_username !== undefined && !username)) throw new AuthError("invalid_request", "Invalid new email or username.");
  // Before the password re-check, which counts as an attempt on the account.
  if (b.new_password !== undefined) assertPasswordPolicy(b.new_password);
  const stub = c.get("tenant");
  const slug = c.get("slug");
  const check = await checkCurrentPassword(stub, token, b.current_password);
  const attempt = async (pw: NewPassword | null): Promise<Result<unknown>> =>
    stub.updateMe({
      accessToken: token,
      secretVersion: check.secretVersion,
      passwordOk: check.ok,
      newPassword: pw,
      newEmail: email ? { raw: b.new_email!.normalize("NFKC"), norm: email } : null,
      newUsername: username ? { raw: b.new_username!.normalize("NFKC"), norm: username } : null,
      metadata: b.metadata ?? null,
      meta: meta(c),
    }) as Promise<Result<unknown>>;
  let r = await attempt(b.new_password !== undefined && check.ok ? await newPassword(b.new_password, policyFor(slug).hash) : null);
  if (!r.ok && r.error.code === "stale_policy") {
    const policy = r.error.extra!.policy as PasswordPolicy;
    rememberPolicy(slug, policy);
    r = await attempt(await newPassword(b.new_password!, policy.hash));
  }
  return noStore(c, unwrap(r));
});

meRoutes.delete("/me", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, passwordBody);
  const stub = c.get("tenant");
  const check = await checkCurrentPassword(stub, token, b.password);
  unwrap(await stub.deleteMe({ accessToken: token, secretVersion: check.secretVersion, passwordOk: check.ok, meta: meta(c) }));
  return noContent(c);
});

meRoutes.get("/sessions", (c) => answer(c, c.get("tenant").listSessions({ accessToken: accessToken(c) })));

meRoutes.delete("/sessions/:id", async (c) => {
  const id = c.req.param("id");
  const token = accessToken(c);
  if (!/^[A-Za-z0-9_-]{22}$/.test(id)) throw new AuthError("not_found", "No such session.");
  unwrap(await c.get("tenant").revokeOwnSession({ accessToken: token, sessionId: id }));
  return noContent(c);
});

