/**
 * @module TOTP multi-factor authentication: the second step of a login, enrollment,
 * confirmation, recovery codes and disabling. Every change to the factors needs a recent
 * authentication (objects/tenant/step-up.ts); disabling also takes the password inline.
 */
import { Hono } from "hono";
import { unwrap } from "../errors.ts";
import { codeBody, loginMfaBody, mfaTokenBody, optionalPasswordBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { noBody, readBody, readOptionalBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent } from "../http/helpers.ts";
import { passwordProof } from "./reauth.ts";
import { assertionOf } from "./passkeys.ts";

export const mfaRoutes = new Hono<AppEnv>();

/** After `401 mfa_required`: the `mfa_token` from that error and a TOTP or recovery code, or a passkey assertion (`webauthn`). */
mfaRoutes.post("/login/mfa", async (c) => {
  const b = await readBody(c, loginMfaBody);
  const webauthn = b.webauthn ? assertionOf(b.webauthn) : undefined;
  return answer(c, c.get("tenant").loginMfa({ mfaToken: b.mfa_token, code: b.code, webauthn, meta: meta(c) }));
});

/** After `401 mfa_enrollment_required`: a TOTP secret for its `mfa_token`; `POST /login/mfa` with a code of it finishes. */
mfaRoutes.post("/login/mfa/totp", async (c) => {
  const b = await readBody(c, mfaTokenBody);
  return answer(c, c.get("tenant").loginEnrollTotp({ mfaToken: b.mfa_token, meta: meta(c) }));
});

mfaRoutes.post("/mfa/totp", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  return answer(c, c.get("tenant").enrollTotp({ accessToken: token, meta: meta(c) }));
});

mfaRoutes.post("/mfa/totp/confirm", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, codeBody);
  return answer(c, c.get("tenant").confirmTotp({ accessToken: token, code: b.code, meta: meta(c) }));
});

mfaRoutes.delete("/mfa/totp", async (c) => {
  const token = accessToken(c);
  const b = await readOptionalBody(c, optionalPasswordBody);
  const stub = c.get("tenant");
  const proof = b.password === undefined ? null : await passwordProof(stub, token, b.password);
  unwrap(await stub.disableTotp({ accessToken: token, password: proof, meta: meta(c), via: "disable_mfa" }));
  return noContent(c);
});

mfaRoutes.post("/mfa/recovery-codes", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  return answer(c, c.get("tenant").regenerateRecoveryCodes({ accessToken: token, meta: meta(c) }));
});
