/**
 * @module TOTP multi-factor authentication: the second step of a login, enrollment,
 * confirmation, recovery codes and disabling (which re-checks the password here, in the
 * Worker, as DELETE /me does).
 */
import { Hono } from "hono";
import { unwrap } from "../errors.ts";
import { codeBody, loginMfaBody, passwordBody } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { noBody, readBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent } from "../http/helpers.ts";
import { checkCurrentPassword } from "./me.ts";

export const mfaRoutes = new Hono<AppEnv>();

/** After `401 mfa_required`: the `mfa_token` from that error and a TOTP or recovery code. */
mfaRoutes.post("/login/mfa", async (c) => {
  const b = await readBody(c, loginMfaBody);
  return answer(c, c.get("tenant").loginMfa({ mfaToken: b.mfa_token, code: b.code, meta: meta(c) }));
});

mfaRoutes.post("/mfa/totp", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  return answer(c, c.get("tenant").enrollTotp({ accessToken: token }));
});

mfaRoutes.post("/mfa/totp/confirm", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, codeBody);
  return answer(c, c.get("tenant").confirmTotp({ accessToken: token, code: b.code, meta: meta(c) }));
});

mfaRoutes.delete("/mfa/totp", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, passwordBody);
  const stub = c.get("tenant");
  const check = await checkCurrentPassword(stub, token, b.password);
  unwrap(await stub.disableTotp({ accessToken: token, secretVersion: check.secretVersion, passwordOk: check.ok, meta: meta(c) }));
  return noContent(c);
});

mfaRoutes.post("/mfa/recovery-codes", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  return answer(c, c.get("tenant").regenerateRecoveryCodes({ accessToken: token, meta: meta(c) }));
});
