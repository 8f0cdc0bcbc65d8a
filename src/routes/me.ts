/**
 * @module The signed-in user's profile. Changing a credential, deleting the account or ending
 * another session needs a recent authentication or the current password inline (the step-up
 * rule, objects/tenant/step-up.ts): the object returns the stored hash, the Worker verifies it
 * (`passwordProof`, and hashes a new one), then the object applies the change guarded by the
 * secret version.
 */
import { Hono } from "hono";
import { AuthError, unwrap, type Result } from "../errors.ts";
import { normalizeEmail, normalizeUsername } from "../../schema/identifiers.ts";
import { optionalPasswordBody, patchMeBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { readBody, readOptionalBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent, noStore } from "../http/helpers.ts";
import { assertNewPassword, assertPasswordPolicy, hashChecked, newPassword, type NewPassword, type PasswordPolicy } from "../passwords.ts";
import { identifierWords } from "../crypto/password-policy.ts";
import { CURRENT_PASSWORD_NEEDED } from "../../objects/tenant/step-up.ts";
import { passwordProof } from "./reauth.ts";

export const meRoutes = new Hono<AppEnv>();

meRoutes.get("/me", (c) => answer(c, c.get("tenant").me({ accessToken: accessToken(c) })));

meRoutes.patch("/me", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, patchMeBody);
  const email = b.new_email === undefined ? null : normalizeEmail(b.new_email);
  const username = b.new_username === undefined ? null : normalizeUsername(b.new_username);
  if ((b.new_email !== undefined && !email) || (b.new_username !== undefined && !username)) throw new AuthError("invalid_request", "Invalid new email or username.");
  const stub = c.get("tenant");
  // A new password is checked whole before the password re-check, which counts as an attempt
  // on the account (a refusal after it would leave the attempt counted): the tenant's policy
  // and the account's identifiers (context words) come from a call that counts nothing. A new
  // email or username in the same request counts as the account's too.
  if (b.new_password !== undefined) assertPasswordPolicy(b.new_password);
  const cred = b.new_password === undefined ? null : unwrap(await stub.credentialStart({ accessToken: token, reserve: false }));
  const own = cred ? [...cred.identifiers, ...identifierWords(b.new_email?.normalize("NFKC"), b.new_username?.normalize("NFKC"))] : [];
  const checked = cred ? await assertNewPassword(b.new_password!, cred.policy, own, c.env) : null;
  const proof = b.current_password === undefined ? null : await passwordProof(stub, token, b.current_password);
  // Without the current password a new one is only for an account that has none: refused
  // before hashing (the object checks again in its transaction).
  if (cred && !proof && cred.hash !== null) throw new AuthError("invalid_request", CURRENT_PASSWORD_NEEDED);
  const attempt = async (pw: NewPassword | null): Promise<Result<unknown>> =>
    stub.updateMe({
      accessToken: token,
      password: proof,
      newPassword: pw,
      newEmail: email ? { raw: b.new_email!.normalize("NFKC"), norm: email } : null,
      newUsername: username ? { raw: b.new_username!.normalize("NFKC"), norm: username } : null,
      metadata: b.metadata ?? null,
      meta: meta(c),
      via: "patch_me",
    }) as Promise<Result<unknown>>;
  let r = await attempt(cred && checked !== null && (proof?.ok ?? true) ? await hashChecked(checked, cred.policy) : null);
  if (!r.ok && r.error.code === "stale_policy") {
    const policy = r.error.extra!.policy as PasswordPolicy;
    r = await attempt(await newPassword(b.new_password!, policy, own, c.env));
  }
  return noStore(c, unwrap(r));
});

meRoutes.delete("/me", async (c) => {
  const token = accessToken(c);
  const b = await readOptionalBody(c, optionalPasswordBody);
  const stub = c.get("tenant");
  const proof = b.password === undefined ? null : await passwordProof(stub, token, b.password);
  unwrap(await stub.deleteMe({ accessToken: token, password: proof, meta: meta(c), via: "delete_me" }));
  return noContent(c);
});

meRoutes.get("/sessions", (c) => answer(c, c.get("tenant").listSessions({ accessToken: accessToken(c) })));

/** Ending the current session is free; ending another needs a recent authentication. */
meRoutes.delete("/sessions/:id", async (c) => {
  const id = c.req.param("id");
  const token = accessToken(c);
  if (!/^[A-Za-z0-9_-]{22}$/.test(id)) throw new AuthError("not_found", "No such session.");
  unwrap(await c.get("tenant").revokeOwnSession({ accessToken: token, sessionId: id, meta: meta(c) }));
  return noContent(c);
});
