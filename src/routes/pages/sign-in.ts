/**
 * @module The sign-in and sign-up pages. Each POST runs exactly what the REST route runs
 * (`passwordLogin`, `loginMfa`, `createAccount`: lockout, rate limits, Turnstile, the
 * enumeration rules and MFA are theirs), then binds the browser to the new session.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import type { Failure, Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import type { TokenResponse } from "../../../objects/tenant/runtime.ts";
import type { EnrolledTokenResponse } from "../../../objects/tenant/flows/mfa.ts";
import { MfaEnrollPage, MfaPage } from "../../pages/mfa.tsx";
import { loadPage, render } from "../../pages/render.ts";
import { SignInPage } from "../../pages/sign-in.tsx";
import { SignUpPage } from "../../pages/sign-up.tsx";
import { texts } from "../../pages/texts.ts";
import { verifyTurnstile } from "../../turnstile.ts";
import { createAccount, passwordLogin } from "../auth.ts";
import { completeSignIn, flowOf, flowTarget, PageRefusal, readForm } from "./common.ts";
import { turnstileFor } from "./turnstile.ts";
import { mfaCeremony, signInCeremony } from "./passkeys.ts";
import { passkeyCsp } from "../../pages/passkey.tsx";

export const signInPages = new Hono<AppEnv>();

const s = (max: number) => z.string().max(max);

/** What the page says for a refused sign-in; credential failures all read the same (no enumeration). */
export function signInMessage(e: Failure): string {
  switch (e.code) {
    case "locked":
      return texts.signIn.locked;
    case "rate_limited":
      return texts.signIn.limited;
    case "turnstile_required":
    case "turnstile_failed":
      return texts.signIn.turnstile;
    case "forbidden":
      return texts.signIn.unverified;
    default:
      return texts.signIn.failed;
  }
}

const statusOf = (e: Failure): 400 | 423 | 429 => (e.code === "locked" ? 423 : e.code === "rate_limited" ? 429 : 400);

/** Turnstile's verdict on the widget's field, as the REST routes get it from their header. */
export const turnstileOf = (c: Context<AppEnv>, token: string | undefined) => verifyTurnstile(token, c.env.TURNSTILE_SECRET_KEY, meta(c).ip);

signInPages.get("/pages/sign-in", async (c) => {
  const f = flowOf(c, c.req.query("flow"));
  const page = await loadPage(c, f?.token ?? null);
  const ts = turnstileFor(page.brand, "login");
  const passkey = await signInCeremony(c);
  return render(c, page, SignInPage({ page, login: f?.flow.params.login_hint ?? null, turnstile: ts, passkey }), { formTargets: flowTarget(f), turnstile: !!ts, scriptHashes: passkeyCsp(passkey) });
});

/** The second-factor page, with the passkey ceremony when the account has a passkey. */
async function mfaPage(c: Context<AppEnv>, f: ReturnType<typeof flowOf>, mfaToken: string, error: string | null = null, status: 200 | 400 | 423 | 429 = 200): Promise<Response> {
  const page = await loadPage(c, f?.token ?? null);
  const passkey = await mfaCeremony(c, mfaToken);
  return render(c, page, MfaPage({ page, mfaToken, error, passkey }), { formTargets: flowTarget(f), scriptHashes: passkeyCsp(passkey) }, status);
}

/**
 * The page that adds a TOTP at sign-in (the tenant requires a second factor): a new secret for
 * the token, or (after a wrong code) the same one again, as the form carried it back.
 */
export async function enrollPage(c: Context<AppEnv>, f: ReturnType<typeof flowOf>, mfaToken: string, shown: { secret: string; otpauthUri: string } | null = null, error: string | null = null, status: 200 | 400 | 423 | 429 = 200): Promise<Response> {
  const page = await loadPage(c, f?.token ?? null);
  let enrollment = shown;
  if (!enrollment) {
    const e = (await c.get("tenant").loginEnrollTotp({ mfaToken, meta: meta(c) })) as unknown as Result<{ secret: string; otpauth_uri: string }>;
    if (!e.ok) return render(c, page, SignInPage({ page, error: texts.mfa.expired, turnstile: turnstileFor(page.brand, "login") }), { formTargets: flowTarget(f), turnstile: !!turnstileFor(page.brand, "login") }, 400);
    enrollment = { secret: e.value.secret, otpauthUri: e.value.otpauth_uri };
  }
  return render(c, page, MfaEnrollPage({ page, mfaToken, secret: enrollment.secret, otpauthUri: enrollment.otpauthUri, error }), { formTargets: flowTarget(f) }, status);
}

/** The page for a first factor's `mfa_required` or `mfa_enrollment_required`; null for any other failure. */
export async function secondStepPage(c: Context<AppEnv>, f: ReturnType<typeof flowOf>, e: Failure): Promise<Response | null> {
  const token = String(e.extra?.mfa_token ?? "");
  if (e.code === "mfa_required") return mfaPage(c, f, token);
  if (e.code === "mfa_enrollment_required") return enrollPage(c, f, token);
  return null;
}

/** Renders what a first factor led to: the session (then onwards), the second-factor page, or the sign-in page with why. */
async function afterFirstFactor(c: Context<AppEnv>, r: Result<TokenResponse>, f: ReturnType<typeof flowOf>, again: (error: string, status: 400 | 423 | 429) => Promise<Response>): Promise<Response> {
  // After a password, the page offers to add a passkey (common.ts).
  if (r.ok) return completeSignIn(c, r.value, f, { offerPasskey: true });
  const second = await secondStepPage(c, f, r.error);
  if (second) return second;
  if (r.error.code === "unavailable") throw new PageRefusal(texts.error.unavailable, 400, "unavailable");
  return again(signInMessage(r.error), statusOf(r.error));
}

signInPages.post("/pages/sign-in", async (c) => {
  const b = await readForm(c, { login: s(320), password: s(4096) });
  const f = flowOf(c, b.flow);
  const again = async (error: string, status: 400 | 423 | 429) => {
    const page = await loadPage(c, f?.token ?? null);
    const ts = turnstileFor(page.brand, "login");
    const passkey = await signInCeremony(c);
    return render(c, page, SignInPage({ page, login: b.login, error, turnstile: ts, passkey }), { formTargets: flowTarget(f), turnstile: !!ts, scriptHashes: passkeyCsp(passkey) }, status);
  };
  let r: Result<TokenResponse>;
  try {
    r = await passwordLogin(c, { login: b.login, password: b.password }, await turnstileOf(c, b["cf-turnstile-response"]));
  } catch (e) {
    // A malformed login or a refused Turnstile token reads like any failed sign-in.
    if (e instanceof Error && "code" in e && (e.code === "invalid_request" || e.code === "turnstile_failed")) return again(signInMessage(e as unknown as Failure), 400);
    throw e;
  }
  return afterFirstFactor(c, r, f, again);
});

signInPages.post("/pages/sign-in/mfa", async (c) => {
  const b = await readForm(c, { mfa_token: s(128), code: s(64) });
  const f = flowOf(c, b.flow);
  const r = (await c.get("tenant").loginMfa({ mfaToken: b.mfa_token, code: b.code.replace(/\s+/g, ""), meta: meta(c) })) as unknown as Result<TokenResponse>;
  if (r.ok) return completeSignIn(c, r.value, f, { offerPasskey: true });
  if (r.error.code === "invalid_token") {
    const page = await loadPage(c, f?.token ?? null);
    return render(c, page, SignInPage({ page, error: texts.mfa.expired, turnstile: turnstileFor(page.brand, "login") }), { formTargets: flowTarget(f), turnstile: !!turnstileFor(page.brand, "login") }, 400);
  }
  const error = r.error.code === "invalid_credentials" ? texts.mfa.failed : signInMessage(r.error);
  return mfaPage(c, f, b.mfa_token, error, statusOf(r.error));
});

const BASE32 = /^[A-Z2-7]{16,64}$/;

signInPages.post("/pages/sign-in/mfa/enroll", async (c) => {
  const b = await readForm(c, { mfa_token: s(128), code: s(64), secret: s(64), otpauth_uri: s(1024) });
  const f = flowOf(c, b.flow);
  const r = (await c.get("tenant").loginMfa({ mfaToken: b.mfa_token, code: b.code.replace(/\s+/g, ""), meta: meta(c) })) as unknown as Result<EnrolledTokenResponse>;
  if (r.ok) return completeSignIn(c, r.value, f, { recoveryCodes: r.value.recovery_codes });
  // A wrong code keeps the key the user has just added (only shown: the code is checked against Warden's copy).
  const shown = BASE32.test(b.secret) && b.otpauth_uri.startsWith("otpauth://totp/") ? { secret: b.secret, otpauthUri: b.otpauth_uri } : null;
  if (r.error.code === "invalid_credentials" || r.error.code === "invalid_request") return enrollPage(c, f, b.mfa_token, shown, texts.mfaEnroll.failed, 400);
  if (r.error.code === "locked" || r.error.code === "rate_limited") return enrollPage(c, f, b.mfa_token, shown, signInMessage(r.error), statusOf(r.error));
  const page = await loadPage(c, f?.token ?? null);
  return render(c, page, SignInPage({ page, error: r.error.code === "forbidden" ? texts.signIn.unverified : texts.mfa.expired, turnstile: turnstileFor(page.brand, "login") }), { formTargets: flowTarget(f), turnstile: !!turnstileFor(page.brand, "login") }, 400);
});

signInPages.get("/pages/sign-up", async (c) => {
  const f = flowOf(c, c.req.query("flow"));
  const page = await loadPage(c, f?.token ?? null);
  if (!page.brand.signup.enabled) throw new PageRefusal(texts.signUp.disabled, 404, "signup_disabled");
  const ts = turnstileFor(page.brand, "signup");
  return render(c, page, SignUpPage({ page, turnstile: ts }), { formTargets: flowTarget(f), turnstile: !!ts });
});

signInPages.post("/pages/sign-up", async (c) => {
  const b = await readForm(c, { email: s(320).optional(), username: s(256).optional(), password: s(4096) });
  const f = flowOf(c, b.flow);
  const again = async (error: string, status: 400 | 409 | 423 | 429) => {
    const page = await loadPage(c, f?.token ?? null);
    const ts = turnstileFor(page.brand, "signup");
    return render(c, page, SignUpPage({ page, email: b.email, username: b.username, error, turnstile: ts }), { formTargets: flowTarget(f), turnstile: !!ts }, status);
  };
  const body = { password: b.password, ...(b.email ? { email: b.email } : {}), ...(b.username ? { username: b.username } : {}) };
  if (!body.email && !body.username) return again(texts.field.required, 400);
  let r: Result<TokenResponse>;
  try {
    r = await createAccount(c, body, await turnstileOf(c, b["cf-turnstile-response"]));
  } catch (e) {
    // invalid_request (identifiers) and password_policy carry a message meant for people.
    if (e instanceof Error && "code" in e && typeof e.code === "string" && ["invalid_request", "password_policy", "turnstile_failed"].includes(e.code)) return again(e.code === "turnstile_failed" ? texts.signIn.turnstile : e.message, 400);
    throw e;
  }
  if (r.ok) return completeSignIn(c, r.value, f);
  if (r.error.code === "mfa_enrollment_required") return enrollPage(c, f, String(r.error.extra?.mfa_token ?? ""));
  if (r.error.code === "conflict") return again(texts.signUp.taken, 409);
  if (r.error.code === "forbidden") return again(texts.signUp.disabled, 400);
  return again(r.error.code === "password_policy" ? (r.error.message ?? texts.signUp.passwordRefused) : signInMessage(r.error), statusOf(r.error));
});
