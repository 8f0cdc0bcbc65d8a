/**
 * @module `GET /identities` and `DELETE /identities/{id}`: the signed-in user's linked upstream
 * identities. Unlinking needs a recent authentication, or the current password inline
 * (`{password}`), like every change to how the account signs in (step-up.ts).
 */
import { Hono } from "hono";
import { AuthError, unwrap } from "../errors.ts";
import { optionalPasswordBody } from "../../schema/requests.ts";
import { IDENTITY_ID_RE } from "../../objects/tenant/idp/identities.ts";
import type { AppEnv } from "../app-env.ts";
import { readOptionalBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent } from "../http/helpers.ts";
import { passwordProof } from "./reauth.ts";

export const identityRoutes = new Hono<AppEnv>();

identityRoutes.get("/identities", (c) => answer(c, c.get("tenant").listIdentities({ accessToken: accessToken(c) })));

identityRoutes.delete("/identities/:id", async (c) => {
  const id = c.req.param("id");
  const token = accessToken(c);
  if (!IDENTITY_ID_RE.test(id)) throw new AuthError("not_found", "No such identity.");
  const b = await readOptionalBody(c, optionalPasswordBody);
  const stub = c.get("tenant");
  const proof = b.password === undefined ? null : await passwordProof(stub, token, b.password);
  unwrap(await stub.unlinkIdentity({ accessToken: token, id, password: proof, meta: meta(c) }));
  return noContent(c);
});
