/**
 * @module `POST /reauth`: a signed-in user proves a factor again (the step-up of step-up.ts).
 * The proof is the password (verified by the router, the attempt counted like a login's), a
 * TOTP or recovery code (`proveSecondFactor`, as `POST /login/mfa`), a passkey assertion for a
 * `POST /reauth/webauthn/options` challenge of this session, or, for an account
 * without a password, a link sent to its address (`POST /reauth/magic-link`), bound to this
 * session and the user's secret version. Success sets the session's `auth_time` to now, adds
 * the method to its `amr`, and answers a token response for the same session (its refresh
 * token replaced, so no token issued before the step-up carries the new `auth_time`).
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { beginWithToken } from "../bearer.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { logMessage, sendMessage, type Message } from "../messages.ts";
import { consumeOneTimeToken, createOneTimeToken } from "../one-time.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { replaceRefreshToken } from "../sessions.ts";
import { checkPassword, markAuthenticated, stepUpMethods, type PasswordProof, type StepUpMethod } from "../step-up.ts";
import { buildClaims, checkLive, type Principal } from "../tokens.ts";
import { getUser, toPublicUser } from "../users.ts";
import { perEmail } from "./account.ts";
import { openTotp, proveSecondFactor, type OpenedTotp } from "./mfa.ts";
import { failureGate, passkeyAmr, prepareAssertion, settleAssertion, type Prepared } from "../passkeys/assertion.ts";
import { rpOf } from "../passkeys/rp.ts";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";

/** One proof per request. */
export type ReauthProof = { password: PasswordProof } | { code: string } | { magicLinkToken: string } | { webauthn: AuthenticationResponseJSON };

export interface ReauthInput {
  accessToken: string;
  proof: ReauthProof;
  meta: RequestMeta;
}

const methodList = (m: StepUpMethod[]) => (m.length ? m.join(", ") : "none (ask an operator)");

/** Checks the proof inside the transaction; the method it proved (a passkey's also with the `amr` it adds), or the refusal. */
function prove(ctx: TenantCtx, p: Principal, proof: ReauthProof, totp: OpenedTotp | null, passkey: Prepared | null, meta: RequestMeta): Result<StepUpMethod | { method: StepUpMethod; amr: string[] }> {
  const { user, session } = p;
  const methods = stepUpMethods(ctx.sql, user);
  const notHere = (what: string) => fail("invalid_request", `This account does not step up with ${what}; its methods: ${methodList(methods)}.`, { extra: { methods } });
  if ("webauthn" in proof) {
    if (!methods.includes("webauthn") || !passkey) return notHere("a passkey");
    const s = settleAssertion(ctx, passkey, { via: "reauth", meta, sessionId: session.id });
    return s.ok ? ok({ method: "webauthn", amr: passkeyAmr(s.value.userVerified) }) : s;
  }
  if ("password" in proof) {
    // Checked first: a wrong password is a guess, whatever the account's methods.
    const c = checkPassword(ctx, p, proof.password, "reauth", meta);
    if (!c.ok) return c;
    return methods.includes("password") ? ok("password") : notHere("a password");
  }
  if ("code" in proof) {
    if (!methods.includes("totp")) return notHere("a code");
    return proveSecondFactor(ctx, user, totp, proof.code, { via: "reauth", meta, sessionId: session.id });
  }
  if (!methods.includes("magic_link")) return notHere("a magic link");
  const t = consumeOneTimeToken(ctx, "reauth", proof.magicLinkToken);
  const bound = JSON.parse(t?.data ?? "{}") as { sid?: string; ver?: number };
  if (!t || t.user_id !== user.id || bound.sid !== session.id || bound.ver !== user.secret_version || t.email !== user.email_norm) {
    return fail("invalid_credentials", "The link is invalid, expired, already used, or for another session.");
  }
  return ok("magic_link");
}

export async function reauth(rt: Runtime, i: ReauthInput): Promise<Result<TokenResponse>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const u0 = getUser(ctx.sql, claims.sub);
  if (!u0) return fail("invalid_token");
  const secret = await rt.userSecret(u0);
  const totp = "code" in i.proof ? await openTotp(rt, ctx, u0.id) : null;
  let passkey: Prepared | null = null;
  if ("webauthn" in i.proof) {
    const rp = rpOf(ctx);
    if (!rp.ok) return rp;
    const gate = failureGate(ctx, i.meta);
    if (!gate.ok) return gate;
    passkey = await prepareAssertion(ctx, rp.value, i.proof.webauthn, "webauthn_reauth", { userId: u0.id, data: (d) => d.sid === claims.sid });
  }
  const r = rt.tx(ctx, (): Result<Issued> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    // `secret` belongs to u0's version; the token's `ver` being current means u0's is too.
    if (p.value.user.secret_version !== u0.secret_version) return fail("invalid_token");
    const proved = prove(ctx, p.value, i.proof, totp, passkey, i.meta);
    if (!proved.ok) return proved;
    const { user } = p.value;
    const { method, amr } = typeof proved.value === "string" ? { method: proved.value, amr: [] } : proved.value;
    const session = markAuthenticated(ctx, p.value.session, method, amr);
    const refreshToken = replaceRefreshToken(ctx, session.id, secret);
    audit(ctx, { type: "reauth", userId: user.id, sessionId: session.id, meta: i.meta, data: { method } });
    return ok({ claims: buildClaims(ctx, user, session), refreshToken, user: toPublicUser(ctx.sql, user), secret });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  return ok(await rt.respond(ctx, r.value));
}

/**
 * `POST /reauth/magic-link` (Bearer): sends a step-up link to the account's address, for an
 * account whose step-up method is the magic link (no password, no TOTP), within
 * `rate_limits.per_email`. The link works only with this session's token, until the secret
 * rotates, once, for 10 minutes.
 */
export async function requestReauthLink(rt: Runtime, i: { accessToken: string; meta: RequestMeta }): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<Message> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const { user, session } = p.value;
    const methods = stepUpMethods(ctx.sql, user);
    if (!methods.includes("magic_link") || !user.email || !user.email_norm) {
      return fail("invalid_request", `This account does not step up with a magic link; its methods: ${methodList(methods)}.`, { extra: { methods } });
    }
    const g = perEmail(ctx, user.email_norm);
    if (!g.ok) return g;
    const t = createOneTimeToken(ctx, "reauth", { userId: user.id, email: user.email_norm, data: { sid: session.id, ver: user.secret_version } });
    audit(ctx, { type: "magic_link.sent", userId: user.id, sessionId: session.id, meta: i.meta, data: { purpose: "reauth" } });
    return ok(sendMessage(ctx, "reauth", user.email, t));
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  logMessage(rt.bindings, ctx, r.value);
  return ok(null);
}
