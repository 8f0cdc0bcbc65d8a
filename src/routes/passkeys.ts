/**
 * @module Passkeys (WebAuthn): registration and management for a signed-in user, sign-in
 * (usernameless or for a login), the second factor, step-up and passkey-only sign-up. Every
 * ceremony is two calls: options (the JSON that `PublicKeyCredential.parseCreationOptionsFromJSON`
 * / `parseRequestOptionsFromJSON` take), then the browser's `credential.toJSON()` back. The
 * challenges, counters and signatures are the tenant object's (objects/tenant/flows/passkeys.ts,
 * passkey-login.ts); this file only reads and shapes requests.
 */
import { Hono, type Context } from "hono";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { z } from "zod";
import { AuthError, unwrap } from "../errors.ts";
import { normalizeLogin } from "../../schema/identifiers.ts";
import {
  authenticationResponse,
  mfaTokenBody,
  passkeyLoginBody,
  passkeyLoginOptionsBody,
  passkeySignupBody,
  passkeySignupOptionsBody,
  registerVerifyBody,
  registrationResponse,
  renamePasskeyBody,
} from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";
import { noBody, readBody, readOptionalBody } from "../http/body.ts";
import { accessToken, answer, meta, noContent, noStore } from "../http/helpers.ts";
import { turnstile } from "../turnstile.ts";
import { identifiers } from "./auth.ts";
import { PASSKEY_ID_RE } from "../../objects/tenant/passkeys/store.ts";

export const passkeyRoutes = new Hono<AppEnv>();

/** The parsed assertion in the library's shape (a `null` userHandle, as some browsers send it, is absent). */
export function assertionOf(r: z.infer<typeof authenticationResponse>): AuthenticationResponseJSON {
  const { userHandle, ...rest } = r.response;
  return { ...r, authenticatorAttachment: r.authenticatorAttachment ?? undefined, response: { ...rest, ...(userHandle ? { userHandle } : {}) } } as AuthenticationResponseJSON;
}

export const attestationOf = (r: z.infer<typeof registrationResponse>) => ({ ...r, authenticatorAttachment: r.authenticatorAttachment ?? undefined }) as RegistrationResponseJSON;

function passkeyParam(c: Context<AppEnv>, name = "id"): string {
  const id = c.req.param(name) ?? "";
  if (!PASSKEY_ID_RE.test(id)) throw new AuthError("not_found", "No such passkey.");
  return id;
}

/** WebAuthn L3 related origins (section 5.11): the `/.well-known/webauthn` document of this tenant's RP ID. */
passkeyRoutes.get("/.well-known/webauthn", async (c) => {
  const body = unwrap(await c.get("tenant").webauthnDocument());
  c.header("Cache-Control", "public, max-age=300");
  return c.json(body);
});

// ---------------------------------------------------------------- a signed-in user's passkeys

passkeyRoutes.post("/passkeys/register/options", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  return answer(c, c.get("tenant").passkeyRegisterOptions({ who: { accessToken: token }, meta: meta(c) }));
});

passkeyRoutes.post("/passkeys/register/verify", async (c) => {
  const token = accessToken(c);
  const b = await readBody(c, registerVerifyBody);
  return answer(c, c.get("tenant").passkeyRegisterVerify({ who: { accessToken: token }, response: attestationOf(b.response), name: b.name ?? null, meta: meta(c) }), 201);
});

passkeyRoutes.get("/passkeys", async (c) => {
  const { passkeys } = unwrap(await c.get("tenant").listPasskeys({ who: { accessToken: accessToken(c) } }));
  return noStore(c, { passkeys });
});

passkeyRoutes.patch("/passkeys/:id", async (c) => {
  const token = accessToken(c);
  const id = passkeyParam(c);
  const b = await readBody(c, renamePasskeyBody);
  return answer(c, c.get("tenant").renamePasskey({ accessToken: token, id, name: b.name, meta: meta(c) }));
});

passkeyRoutes.delete("/passkeys/:id", async (c) => {
  const token = accessToken(c);
  const id = passkeyParam(c);
  await noBody(c);
  unwrap(await c.get("tenant").deletePasskey({ who: { accessToken: token }, id, meta: meta(c) }));
  return noContent(c);
});

// ---------------------------------------------------------------- sign-in, second factor, step-up

/** No body, `{}`, or `{login}`: without a login the ceremony is usernameless. */
passkeyRoutes.post("/login/passkey/options", async (c) => {
  const b = await readOptionalBody(c, passkeyLoginOptionsBody);
  const login = b.login === undefined ? null : normalizeLogin(b.login);
  if (b.login !== undefined && !login) throw new AuthError("invalid_request", undefined, { details: [{ path: "login", code: "invalid_format", message: "an email address or a username" }] });
  return answer(c, c.get("tenant").passkeyLoginOptions({ login, meta: meta(c) }));
});

passkeyRoutes.post("/login/passkey", async (c) => {
  const b = await readBody(c, passkeyLoginBody);
  return answer(c, c.get("tenant").passkeyLogin({ response: assertionOf(b.response), meta: meta(c) }));
});

passkeyRoutes.post("/login/mfa/webauthn/options", async (c) => {
  const b = await readBody(c, mfaTokenBody);
  return answer(c, c.get("tenant").passkeyMfaOptions({ mfaToken: b.mfa_token, meta: meta(c) }));
});

passkeyRoutes.post("/reauth/webauthn/options", async (c) => {
  const token = accessToken(c);
  await noBody(c);
  return answer(c, c.get("tenant").passkeyReauthOptions({ accessToken: token, meta: meta(c) }));
});

// ---------------------------------------------------------------- passkey-only sign-up

passkeyRoutes.post("/signup/passkey/options", async (c) => {
  const b = await readBody(c, passkeySignupOptionsBody);
  const ids = identifiers(b);
  return answer(
    c,
    c.get("tenant").passkeySignupOptions({
      email: b.email?.normalize("NFKC") ?? null,
      username: b.username?.normalize("NFKC") ?? null,
      email_norm: ids.email,
      username_norm: ids.username,
      metadata: b.metadata ?? {},
      meta: meta(c),
    }),
  );
});

passkeyRoutes.post("/signup/passkey", async (c) => {
  const b = await readBody(c, passkeySignupBody);
  const verified = await turnstile(c.req.raw, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);
  const r = unwrap(await c.get("tenant").passkeySignup({ response: attestationOf(b.response), name: b.name ?? null, meta: meta(c), turnstileVerified: verified }));
  return noStore(c, r, 201);
});
