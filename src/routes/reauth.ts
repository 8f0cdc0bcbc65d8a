/**
 * @module Step-up, the router's half (the rule itself is objects/tenant/step-up.ts):
 * `POST /reauth` with one proof (`password`, `code`, `magic_link_token`, or a passkey's `webauthn`
 * assertion for `POST /reauth/webauthn/options`, routes/passkeys.ts), `POST
 * /reauth/magic-link` for accounts without a password, and `passwordProof`, the one password
 * re-check of every route that takes the current password inline. The hash is verified here,
 * in the Worker, never in the object.
 */
import { Hono } from "hono";
import { unwrap } from "../errors.ts";
import { dummyHash, verifyPassword } from "../crypto/password.ts";
import { normalizePassword } from "../crypto/password-policy.ts";
import { reauthBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { noBody, readBody } from "../http/body.ts";
import { accessToken, answer, meta, noStore } from "../http/helpers.ts";
import type { TenantStub } from "../../objects/tenant.ts";
import type { PasswordProof } from "../../objects/tenant/step-up.ts";
import { assertionOf } from "./passkeys.ts";

export const reauthRoutes = new Hono<AppEnv>();

/**
 * Verifies `password` against the user's stored hash. `credentialStart` counts the attempt
 * toward the account's lockout first (cleared by the object when the proof was right); an
 * account without a password costs the same and never matches.
 */
export async function passwordProof(stub: TenantStub, token: string, password: string): Promise<PasswordProof> {
  const start = unwrap(await stub.credentialStart({ accessToken: token }));
  const ok = (await verifyPassword(normalizePassword(password), start.hash ?? dummyHash("argon2id"))) && start.hash !== null;
  return { ok, secretVersion: start.secretVersion };
}

/** A token response for this session, with a fresh `auth_time` and the method in `amr`. */
reauthRoutes.post("/reauth", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, reauthBody);
  const stub = c.get("tenant");
  const proof =
    b.password !== undefined ? { password: await passwordProof(stub, token, b.password) }
    : b.code !== undefined ? { code: b.code }
    : b.webauthn !== undefined ? { webauthn: assertionOf(b.webauthn) }
    : { magicLinkToken: b.magic_link_token! };
  return answer(c, stub.reauth({ accessToken: token, proof, meta: meta(c) }));
});

/** 202: a step-up link went to the account's address (webhook delivery, like /magic-link). */
reauthRoutes.post("/reauth/magic-link", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  unwrap(await c.get("tenant").requestReauthLink({ accessToken: token, meta: meta(c) }));
  return noStore(c, {}, 202);
});
