/**
 * @module Signing in, signing up and stepping up with a passkey (WebAuthn L3 sections 7.1 and
 * 7.2). Each ceremony is an options call that makes a challenge (rate-limited per IP) and a
 * call that verifies the response before the transaction and settles it inside
 * (passkeys/assertion.ts). A user-verified passkey is two factors on its own (`amr`
 * `["pop", "mfa"]`) and satisfies the MFA requirement; one without user verification is
 * `["pop"]`, and an account with TOTP then goes through the MFA step.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { b64url } from "../../../src/crypto/bytes.ts";
import { hmacSha256 } from "../../../src/crypto/digest.ts";
import { randomToken, userId as newUserId } from "../../../src/crypto/random.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { beginWithToken } from "../bearer.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { logMessage, mustVerifyEmail, queueEmailVerification, UNVERIFIED_MESSAGE } from "../messages.ts";
import { secondFactor } from "../mfa.ts";
import { consumeOneTimeToken, peekOneTimeToken } from "../one-time.ts";
import { failureGate, newChallenge, optionsGate, passkeyAmr, prepareAssertion, settleAssertion } from "../passkeys/assertion.ts";
import { assertionOptions, ceremonyError, readClientData, registrationOptions, verifyRegistration } from "../passkeys/ceremony.ts";
import { rpOf, type Rp } from "../passkeys/rp.ts";
import { findByCredentialId, insertPasskey, listPasskeys, setUserHandle } from "../passkeys/store.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { checkLive } from "../tokens.ts";
import { findUserByLogin, getUser, identifierTaken, insertUser } from "../users.ts";
import { issue, limited, needsTurnstile, type SignedUp } from "./auth.ts";

type Allow = { id: string; transports: string[] }[];

const allowOf = (sql: SqlStorage, userId: string): Allow => listPasskeys(sql, userId).map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) }));

/**
 * For a login with no passkey behind it (no such user, or one without passkeys): one
 * credential id derived from the login under a key of this tenant, so it is the same on every
 * call and looks like a platform passkey's (L3 section 14.6.2: the answer must not tell who
 * has an account). Synchronous (HMAC), for the transaction.
 */
function fakeAllow(ctx: TenantCtx, login: { kind: string; value: string }): Allow {
  const key = ctx.sealer().macKey(`webauthn-fake-credentials|${ctx.slug}`)!.key;
  return [{ id: b64url(hmacSha256(key, `${login.kind}:${login.value}`)), transports: ["internal", "hybrid"] }];
}

async function beginRp(rt: Runtime): Promise<Result<{ ctx: TenantCtx; rp: Rp }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const rp = rpOf(b.value);
  return rp.ok ? ok({ ctx: b.value, rp: rp.value }) : rp;
}

// ---------------------------------------------------------------- sign-in

/** `POST /login/passkey/options {login?}`: without a login, a usernameless ceremony (discoverable credentials). */
export async function loginOptions(rt: Runtime, i: { login: { kind: "email" | "username"; value: string } | null; meta: RequestMeta }): Promise<Result<PublicKeyCredentialRequestOptionsJSON>> {
  const b = await beginRp(rt);
  if (!b.ok) return b;
  const { ctx, rp } = b.value;
  const r = rt.tx(ctx, (): Result<{ challenge: string; allow: Allow | null }> => {
    const g = optionsGate(ctx, i.meta);
    if (!g.ok) return g;
    if (!i.login) return ok({ challenge: newChallenge(ctx, "webauthn_login", null), allow: null });
    const user = findUserByLogin(ctx.sql, i.login);
    const allow = user && user.status === "active" ? allowOf(ctx.sql, user.id) : [];
    // `login: true` with no user: the challenge is bound to a login no passkey can answer for.
    if (!allow.length || !user) return ok({ challenge: newChallenge(ctx, "webauthn_login", null, { login: true }), allow: fakeAllow(ctx, i.login) });
    return ok({ challenge: newChallenge(ctx, "webauthn_login", user.id, { login: true }), allow });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok(await assertionOptions(rp, r.value.challenge, r.value.allow));
}

/** `POST /login/passkey {response}`: the token response, or `mfa_required` for a passkey without user verification on a TOTP account. */
export async function loginPasskey(rt: Runtime, i: { response: AuthenticationResponseJSON; meta: RequestMeta }): Promise<Result<TokenResponse>> {
  const b = await beginRp(rt);
  if (!b.ok) return b;
  const { ctx, rp } = b.value;
  const gate = failureGate(ctx, i.meta);
  if (!gate.ok) return gate;
  const prep = await prepareAssertion(ctx, rp, i.response, "webauthn_login");
  const u0 = prep.verdict.ok ? getUser(ctx.sql, prep.verdict.value.passkey.user_id) : null;
  const secret = u0 ? await rt.userSecret(u0) : null;
  const r = rt.tx(ctx, (): Result<Issued> => {
    const s = settleAssertion(ctx, prep, { via: "login", meta: i.meta });
    if (!s.ok) return s;
    const user = getUser(ctx.sql, s.value.passkey.user_id);
    if (!user || !secret || user.status !== "active" || user.secret_version !== u0!.secret_version) return ceremonyError("unknown_credential");
    if (mustVerifyEmail(ctx, user)) return fail("forbidden", UNVERIFIED_MESSAGE);
    const amr = passkeyAmr(s.value.userVerified);
    // A user-verified passkey is two factors already; without user verification it is one.
    const second = s.value.userVerified ? null : secondFactor(ctx, user, amr, { passkeyId: s.value.passkey.id });
    if (second) return second;
    audit(ctx, { type: "login.success", userId: user.id, meta: i.meta, data: { method: "webauthn", amr, passkey: s.value.passkey.id } });
    return ok(issue(ctx, user, secret, amr, i.meta, s.value.passkey.id));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok(await rt.respond(ctx, r.value));
}

/** `POST /login/mfa/webauthn/options {mfa_token}`: a challenge for the second factor, bound to that MFA token and its user. */
export async function mfaOptions(rt: Runtime, i: { mfaToken: string; meta: RequestMeta }): Promise<Result<PublicKeyCredentialRequestOptionsJSON>> {
  const b = await beginRp(rt);
  if (!b.ok) return b;
  const { ctx, rp } = b.value;
  const r = rt.tx(ctx, (): Result<{ challenge: string; allow: Allow }> => {
    const ch = peekOneTimeToken(ctx.sql, "mfa_challenge", i.mfaToken, ctx.now);
    if (!ch?.user_id) return fail("invalid_token", "The MFA token is invalid, expired or already used.");
    const allow = allowOf(ctx.sql, ch.user_id);
    if (!allow.length) return fail("invalid_request", "This account has no passkey; use a TOTP or recovery code.");
    const g = optionsGate(ctx, i.meta);
    if (!g.ok) return g;
    return ok({ challenge: newChallenge(ctx, "webauthn_mfa", ch.user_id, { mfa: ch.hash }), allow });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  // A second factor needs possession only; user verification stays what the tenant requires.
  return ok(await assertionOptions(rp, r.value.challenge, r.value.allow, rp.userVerification === "required" ? "required" : "discouraged"));
}

/** `POST /reauth/webauthn/options` (Bearer): a step-up challenge for this session. */
export async function reauthOptions(rt: Runtime, i: { accessToken: string; meta: RequestMeta }): Promise<Result<PublicKeyCredentialRequestOptionsJSON>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const rp = rpOf(ctx);
  if (!rp.ok) return rp;
  const r = rt.tx(ctx, (): Result<{ challenge: string; allow: Allow }> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const allow = allowOf(ctx.sql, p.value.user.id);
    if (!allow.length) return fail("invalid_request", "This account has no passkey.");
    const g = optionsGate(ctx, i.meta);
    if (!g.ok) return g;
    return ok({ challenge: newChallenge(ctx, "webauthn_reauth", p.value.user.id, { sid: p.value.session.id }), allow });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok(await assertionOptions(rp.value, r.value.challenge, r.value.allow));
}

// ---------------------------------------------------------------- passkey-only sign-up

export interface SignupOptionsInput {
  email: string | null;
  username: string | null;
  email_norm: string | null;
  username_norm: string | null;
  metadata: Record<string, unknown>;
  meta: RequestMeta;
}

/** The sign-up rules of `POST /signup` that hold before any credential exists. */
function signupAllowed(ctx: TenantCtx, i: { email: string | null; username: string | null }): Result<void> {
  const s = ctx.settings.signup;
  if (!s.enabled) return fail("forbidden", "Sign-up is disabled for this tenant.");
  if ((i.email && !s.identifiers.includes("email")) || (i.username && !s.identifiers.includes("username"))) {
    return fail("invalid_request", `This tenant signs users up with: ${s.identifiers.join(", ")}.`);
  }
  return ok(undefined);
}

/** `POST /signup/passkey/options {email?, username?}`: creation options for a new account; its user handle is chosen here. */
export async function signupOptions(rt: Runtime, i: SignupOptionsInput): Promise<Result<PublicKeyCredentialCreationOptionsJSON>> {
  const b = await beginRp(rt);
  if (!b.ok) return b;
  const { ctx, rp } = b.value;
  const allowed = signupAllowed(ctx, i);
  if (!allowed.ok) return allowed;
  const handle = randomToken(32);
  const r = rt.tx(ctx, (): Result<string> => {
    const g = optionsGate(ctx, i.meta);
    if (!g.ok) return g;
    if (identifierTaken(ctx.sql, { email_norm: i.email_norm, username_norm: i.username_norm })) return fail("conflict", "That email or username is already taken.");
    const { meta: _meta, ...account } = i;
    return ok(newChallenge(ctx, "webauthn_signup", null, { ...account, handle }));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  const label = i.email ?? i.username!;
  return ok(await registrationOptions(rp, { handle, name: label, displayName: label }, r.value, [], "required"));
}

export interface SignupPasskeyInput {
  response: RegistrationResponseJSON;
  name: string | null;
  meta: RequestMeta;
  turnstileVerified: boolean;
}

/** `POST /signup/passkey {response, name?}`: a new account whose only credential is the passkey; 201 with the token response. */
export async function signupPasskey(rt: Runtime, i: SignupPasskeyInput): Promise<Result<TokenResponse>> {
  const b = await beginRp(rt);
  if (!b.ok) return b;
  const { ctx, rp } = b.value;
  if (needsTurnstile(ctx, "signup", i.turnstileVerified)) return fail("turnstile_required");
  const cd = readClientData(i.response.response.clientDataJSON, "webauthn.create", rp);
  if (!cd.ok) return ceremonyError(cd.reason, cd.detail);
  const token = cd.value.challenge;
  const ch = peekOneTimeToken(ctx.sql, "webauthn_signup", token, ctx.now);
  if (!ch) return ceremonyError("challenge");
  const acct = JSON.parse(ch.data!) as Omit<SignupOptionsInput, "meta"> & { handle: string };
  const allowed = signupAllowed(ctx, acct);
  if (!allowed.ok) return allowed;
  const v = await verifyRegistration(rp, i.response, token);
  const id = newUserId();
  const secret = await rt.newSecret(id);
  const r = rt.tx(ctx, (): Result<SignedUp> => {
    const gate = limited(ctx, "signup", i.meta.ip);
    if (!gate.ok) return gate;
    if (!consumeOneTimeToken(ctx, "webauthn_signup", token)) return ceremonyError("challenge");
    if (!v.ok) return ceremonyError(v.reason, v.detail);
    if (identifierTaken(ctx.sql, { email_norm: acct.email_norm, username_norm: acct.username_norm })) return fail("conflict", "That email or username is already taken.");
    if (findByCredentialId(ctx.sql, v.value.credentialId)) return ceremonyError("duplicate");
    const user = insertUser(ctx, { id, email: acct.email, username: acct.username, email_norm: acct.email_norm, username_norm: acct.username_norm, email_verified: false, sealedSecret: secret.sealed, metadata: acct.metadata, hash: null, algorithm: null });
    setUserHandle(ctx, id, acct.handle);
    const pk = insertPasskey(ctx, id, v.value, i.name);
    audit(ctx, { type: "signup", userId: id, meta: i.meta, data: { via: "passkey" } });
    audit(ctx, { type: "passkey.added", userId: id, meta: i.meta, data: { passkey: pk.id, aaguid: pk.aaguid, user_verified: v.value.userVerified } });
    const message = ctx.settings.signup.require_email_verification ? queueEmailVerification(ctx, user) : null;
    const amr = passkeyAmr(v.value.userVerified);
    const second = v.value.userVerified ? null : secondFactor(ctx, user, amr, { passkeyId: pk.id, signup: true });
    return ok(second ? { enroll: second, message } : { ...issue(ctx, user, secret.bytes, amr, i.meta, pk.id), message });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value.message);
  rt.rememberSecret(id, 1, secret.bytes);
  if ("enroll" in r.value) return r.value.enroll;
  return ok(await rt.respond(ctx, r.value));
}
