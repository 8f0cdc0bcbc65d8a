/**
 * @module The hosted pages' passkey routes: signing in with one (also as the second factor),
 * and the account page that lists, adds and removes them. Every POST is a page form (CSRF
 * first) carrying `credential.toJSON()` in `response`; it runs exactly the object flow the
 * REST route runs, with the browser's cookie in place of a bearer token where one is needed.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import type { Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import type { TokenResponse } from "../../../objects/tenant/runtime.ts";
import { authenticationResponse, registrationResponse } from "../../../schema/requests.ts";
import { sessionCookieHash } from "../../pages/cookies.ts";
import { MfaPage } from "../../pages/mfa.tsx";
import { passkeyCsp, type PasskeyCeremony } from "../../pages/passkey.tsx";
import { PasskeysPage } from "../../pages/passkeys.tsx";
import { loadPage, render } from "../../pages/render.ts";
import { SignInPage } from "../../pages/sign-in.tsx";
import { secondStepPage } from "./sign-in.ts";
import { texts } from "../../pages/texts.ts";
import { assertionOf, attestationOf } from "../passkeys.ts";
import { completeSignIn, flowOf, flowTarget, readForm } from "./common.ts";
import { turnstileFor } from "./turnstile.ts";

export const passkeyPages = new Hono<AppEnv>();

const base = (c: Context<AppEnv>) => `/v1/${c.get("slug")}`;

/** An RPC's answer as the flow typed it (the stub's inferred type loses the union). */
const settled = <T>(p: Promise<unknown>) => p as Promise<Result<T>>;

/** The sign-in page's usernameless ceremony, or null (passkeys off, too many challenges from here): the page is whole without it. */
export async function signInCeremony(c: Context<AppEnv>): Promise<PasskeyCeremony | null> {
  const r = await settled<unknown>(c.get("tenant").passkeyLoginOptions({ login: null, meta: meta(c) }));
  return r.ok ? { mode: "get", options: r.value, action: `${base(c)}/pages/sign-in/passkey`, label: texts.passkey.signIn, conditional: true } : null;
}

/** The MFA page's passkey ceremony, when the account has a passkey. */
export async function mfaCeremony(c: Context<AppEnv>, mfaToken: string): Promise<PasskeyCeremony | null> {
  const r = await settled<unknown>(c.get("tenant").passkeyMfaOptions({ mfaToken, meta: meta(c) }));
  return r.ok ? { mode: "get", options: r.value, action: `${base(c)}/pages/sign-in/mfa/passkey`, label: texts.passkey.verify, fields: { mfa_token: mfaToken } } : null;
}

/** The account page's "Add a passkey" ceremony, or null when the sign-in is too old to add one. */
export async function addCeremony(c: Context<AppEnv>, onlyIfNone = false): Promise<PasskeyCeremony | null> {
  const r = await settled<unknown>(c.get("tenant").passkeyRegisterOptions({ who: { cookieHash: sessionCookieHash(c, c.get("slug")) }, meta: meta(c), onlyIfNone }));
  return r.ok && r.value ? { mode: "create", options: r.value, action: `${base(c)}/pages/passkeys/add`, label: texts.passkey.add } : null;
}

/** The credential JSON of a page form, parsed as the REST routes parse it; null when it is not one. */
function parseResponse<S extends z.ZodType>(schema: S, text: string): z.infer<S> | null {
  try {
    const p = schema.safeParse(JSON.parse(text));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

const field = { response: z.string().max(15_000) };

passkeyPages.post("/pages/sign-in/passkey", async (c) => {
  const b = await readForm(c, field);
  const f = flowOf(c, b.flow);
  const again = async (error: string, status: 400 | 423 | 429) => {
    const page = await loadPage(c, f?.token ?? null);
    const ts = turnstileFor(page.brand, "login");
    const passkey = await signInCeremony(c);
    return render(c, page, SignInPage({ page, error, turnstile: ts, passkey }), { formTargets: flowTarget(f), turnstile: !!ts, scriptHashes: passkeyCsp(passkey) }, status);
  };
  const response = parseResponse(authenticationResponse, b.response);
  if (!response) return again(texts.passkey.failed, 400);
  const r = (await c.get("tenant").passkeyLogin({ response: assertionOf(response), meta: meta(c) })) as unknown as Result<TokenResponse>;
  if (r.ok) return completeSignIn(c, r.value, f);
  const second = await secondStepPage(c, f, r.error);
  if (second) return second;
  return again(r.error.code === "rate_limited" ? texts.signIn.limited : r.error.code === "forbidden" ? texts.signIn.unverified : texts.passkey.failed, r.error.code === "rate_limited" ? 429 : 400);
});

passkeyPages.post("/pages/sign-in/mfa/passkey", async (c) => {
  const b = await readForm(c, { ...field, mfa_token: z.string().max(128) });
  const f = flowOf(c, b.flow);
  const response = parseResponse(authenticationResponse, b.response);
  const r = response
    ? ((await c.get("tenant").loginMfa({ mfaToken: b.mfa_token, webauthn: assertionOf(response), meta: meta(c) })) as unknown as Result<TokenResponse>)
    : null;
  if (r?.ok) return completeSignIn(c, r.value, f, { offerPasskey: false });
  const page = await loadPage(c, f?.token ?? null);
  if (r && r.error.code === "invalid_token") {
    const ts = turnstileFor(page.brand, "login");
    return render(c, page, SignInPage({ page, error: texts.mfa.expired, turnstile: ts }), { formTargets: flowTarget(f), turnstile: !!ts }, 400);
  }
  const passkey = await mfaCeremony(c, b.mfa_token);
  return render(c, page, MfaPage({ page, mfaToken: b.mfa_token, error: texts.passkey.failed, passkey }), { formTargets: flowTarget(f), scriptHashes: passkeyCsp(passkey) }, 400);
});

/** The account page, or the sign-in page when the browser is not signed in. */
async function passkeysPage(c: Context<AppEnv>, o: { notice?: string; error?: string; status?: 200 | 400 | 409 } = {}): Promise<Response> {
  const slug = c.get("slug");
  const r = await c.get("tenant").listPasskeys({ who: { cookieHash: sessionCookieHash(c, slug) } });
  if (!r.ok) return c.redirect(`/v1/${slug}/pages/sign-in`, 303);
  const page = await loadPage(c);
  const add = await addCeremony(c);
  return render(c, page, PasskeysPage({ page, who: r.value.who, passkeys: r.value.passkeys, add, notice: o.notice, error: o.error }), { scriptHashes: passkeyCsp(add) }, o.status ?? 200);
}

passkeyPages.get("/pages/passkeys", (c) => passkeysPage(c));

passkeyPages.post("/pages/passkeys/add", async (c) => {
  const b = await readForm(c, field);
  const response = parseResponse(registrationResponse, b.response);
  if (!response) return passkeysPage(c, { error: texts.passkey.failed, status: 400 });
  const r = await settled<unknown>(c.get("tenant").passkeyRegisterVerify({
    who: { cookieHash: sessionCookieHash(c, c.get("slug")) },
    response: attestationOf(response),
    name: null,
    meta: meta(c),
  }));
  if (r.ok) return passkeysPage(c, { notice: texts.passkey.added });
  if (r.error.code === "invalid_token") return c.redirect(`/v1/${c.get("slug")}/pages/sign-in`, 303);
  return passkeysPage(c, { error: r.error.code === "reauth_required" ? texts.passkey.stepUp : texts.passkey.failed, status: 400 });
});

passkeyPages.post("/pages/passkeys/remove", async (c) => {
  const b = await readForm(c, { id: z.string().max(64) });
  const r = await settled<null>(c.get("tenant").deletePasskey({ who: { cookieHash: sessionCookieHash(c, c.get("slug")) }, id: b.id, meta: meta(c) }));
  if (r.ok) return passkeysPage(c, { notice: texts.passkey.removed });
  if (r.error.code === "invalid_token") return c.redirect(`/v1/${c.get("slug")}/pages/sign-in`, 303);
  const error = r.error.code === "conflict" ? texts.passkey.lastWay : r.error.code === "reauth_required" ? texts.passkey.stepUp : texts.error.notFound;
  return passkeysPage(c, { error, status: r.error.code === "conflict" ? 409 : 400 });
});
