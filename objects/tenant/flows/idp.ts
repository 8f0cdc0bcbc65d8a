/**
 * @module Signing in through an upstream identity provider. `idpStart` keeps the attempt on the
 * server, keyed by `state` (a one-time token: Apple's form_post callback is a cross-site POST
 * that a SameSite=Lax cookie does not accompany), bound to the browser by the hash of a cookie,
 * with the PKCE verifier (S256) and the `nonce`. `idpCallback` spends the state, checks the
 * binding and RFC 9207's `iss`, redeems the code and checks the ID token (presets.ts,
 * upstream.ts), then applies the linking rules (`linkDecision`) and ends in an ordinary Warden
 * session with `amr: ["fed"]` (Warden's own value: RFC 8176 has none for federation). A
 * verified local account is linked only after its owner signs in locally and confirms
 * (`idpConfirmLink`), unless the provider is trusted for verified emails.
 */
import { sha256B64 } from "../../../src/crypto/digest.ts";
import { fromUtf8, utf8 } from "../../../src/crypto/bytes.ts";
import { randomToken, userId as newUserId } from "../../../src/crypto/random.ts";
import { timingSafeEqual } from "../../../src/crypto/timing-safe-equal.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { normalizeEmail } from "../../../schema/identifiers.ts";
import { audit } from "../audit.ts";
import { authTime, findBrowserSession } from "../browser.ts";
import { claimAccount } from "../claim.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { findIdentity, linkIdentity, touchIdentity, type UpstreamProfile } from "../idp/identities.ts";
import { extraAuthorizeParams, metadataOf, profileOf } from "../idp/presets.ts";
import { callbackUrl, displayNameOf, getProvider, scopesOf, type ProviderRow } from "../idp/providers.ts";
import { UpstreamError } from "../idp/upstream.ts";
import { mustVerifyEmail } from "../messages.ts";
import { secondFactor } from "../mfa.ts";
import { consumeOneTimeToken, createOneTimeToken, peekOneTimeToken } from "../one-time.ts";
import type { Issued, Runtime, TokenResponse } from "../runtime.ts";
import { findUserByLogin, getUser, insertUser, type UserRow } from "../users.ts";
import { issue } from "./auth.ts";

/** Warden's `amr` value for a sign-in through an upstream provider (not in RFC 8176's registry). */
export const AMR_FEDERATED = "fed";

const noSuchProvider = () => fail("not_found", "No such identity provider.");
const usable = (p: ProviderRow | null): p is ProviderRow => !!p && p.enabled;

interface StateData {
  provider: string;
  binding: string;
  verifier: string;
  nonce: string;
  flow: string | null;
}

/** Starts a sign-in: the URL to send the browser to. `binding` is the SHA-256 of the browser's fresh state cookie. */
export async function idpStart(rt: Runtime, i: { providerId: string; binding: string; flow: string | null }): Promise<Result<{ url: string }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const p = getProvider(ctx.sql, i.providerId);
  if (!usable(p)) return noSuchProvider();
  if (!/^[A-Za-z0-9_-]{43}$/.test(i.binding)) return fail("invalid_request");
  let m;
  try {
    m = await metadataOf(p, rt.bindings, ctx.now);
  } catch (e) {
    return upstreamFailure(e);
  }
  const verifier = randomToken(32);
  const nonce = randomToken(16);
  const data: StateData = { provider: p.id, binding: i.binding, verifier, nonce, flow: i.flow };
  const state = rt.tx(ctx, () => createOneTimeToken(ctx, "idp_state", { data }).token);
  await rt.commit(ctx);
  const u = new URL(m.authorization_endpoint);
  const q = { response_type: "code", client_id: p.client_id, redirect_uri: callbackUrl(ctx.issuer, p.id), scope: scopesOf(p), state, nonce, code_challenge: sha256B64(verifier), code_challenge_method: "S256", ...extraAuthorizeParams(p) };
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return ok({ url: u.toString() });
}

const upstreamFailure = (e: unknown): Result<never> => {
  if (e instanceof UpstreamError) return fail("unavailable", e.message, { extra: { reason: e.reason } });
  throw e;
};

export interface CallbackInput {
  providerId: string;
  params: Record<string, string>;
  /** SHA-256 of the state cookie the browser sent, or null. */
  binding: string | null;
  meta: RequestMeta;
}

/** Why a callback did not sign anyone in; the page shows one message per reason. */
export type IdpRefusal = "state" | "denied" | "upstream" | "disabled" | "account_exists" | "no_email" | "signup_disabled" | "account_disabled" | "unverified" | "retry";

export type IdpOutcome =
  | { kind: "signed_in"; tokens: TokenResponse; flow: string | null }
  | { kind: "mfa"; mfaToken: string; flow: string | null }
  /** The tenant requires a second factor and the user has none: a TOTP is added with this token first. */
  | { kind: "mfa_enroll"; mfaToken: string; flow: string | null }
  /** A verified local account has this email: its owner signs in locally, then confirms (idpConfirmLink). */
  | { kind: "link"; linkToken: string; email: string; provider: string; flow: string | null }
  | { kind: "refused"; reason: IdpRefusal; flow: string | null; provider: string | null };

/** What to do with a verified upstream identity that is not linked yet (pure: the rules of the issue, in one place). */
export function linkDecision(o: { local: Pick<UserRow, "email_verified" | "status"> | null; email: string | null; emailVerified: boolean; trustVerifiedEmail: boolean; signupOpen: boolean }):
  "create" | "claim" | "link" | "confirm" | { refuse: IdpRefusal } {
  if (!o.email) return { refuse: "no_email" };
  if (!o.local) return o.signupOpen ? "create" : { refuse: "signup_disabled" };
  // Never on an unverified upstream email: anyone can type any address at many providers.
  if (!o.emailVerified) return { refuse: "account_exists" };
  if (o.local.status !== "active") return { refuse: "account_disabled" };
  // An unverified local account was never proven; the upstream's proof makes its prover the owner (claim.ts).
  if (o.local.email_verified !== 1) return "claim";
  // A verified one: a silent merge would bypass its password and MFA.
  return o.trustVerifiedEmail ? "link" : "confirm";
}

const signupOpen = (ctx: TenantCtx) => ctx.settings.signup.enabled && ctx.settings.signup.identifiers.includes("email");

export async function idpCallback(rt: Runtime, i: CallbackInput): Promise<Result<IdpOutcome>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const refused = (reason: IdpRefusal, flow: string | null = null, provider: string | null = null): Result<IdpOutcome> => ok({ kind: "refused", reason, flow, provider });
  const stateToken = i.params.state ?? "";
  // The state is spent first, whatever follows: a replayed callback finds nothing.
  const st = rt.tx(ctx, (): StateData | null => {
    const row = peekOneTimeToken(ctx.sql, "idp_state", stateToken, ctx.now);
    if (!row) return null;
    const d = JSON.parse(row.data ?? "{}") as StateData;
    // Bound to the browser that started it (RFC 9700 section 4.7.1): another browser's callback is refused and spends nothing.
    if (d.provider !== i.providerId || !i.binding || !timingSafeEqual(utf8(i.binding), utf8(d.binding))) return null;
    consumeOneTimeToken(ctx, "idp_state", stateToken);
    return d;
  });
  await rt.commit(ctx);
  if (!st) return refused("state");
  const p = getProvider(ctx.sql, i.providerId);
  if (!usable(p)) return refused("disabled", st.flow);
  const name = displayNameOf(p);
  if (i.params.error || !i.params.code) return refused("denied", st.flow, name);
  let profile: UpstreamProfile;
  try {
    const m = await metadataOf(p, rt.bindings, ctx.now);
    // RFC 9207 section 2.4: the `iss` of the response must be this provider's, and is required where it says it sends one.
    const iss = i.params.iss;
    if (iss !== undefined ? iss !== m.issuer : m.authorization_response_iss_parameter_supported === true) throw new UpstreamError("iss_mismatch", "the authorization response's iss is not the provider's");
    const secret = p.secret_sealed ? fromUtf8(await rt.sealer.open(p.secret_sealed, "idp-secret", ctx.slug, p.id)) : null;
    profile = await profileOf(p, m, { code: i.params.code, redirectUri: callbackUrl(ctx.issuer, p.id), codeVerifier: st.verifier, nonce: st.nonce, secret, now: ctx.now }, rt.bindings);
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    rt.tx(ctx, () => audit(ctx, { type: "login.failure", meta: i.meta, data: { via: "upstream_idp", provider: p.id, reason: e.reason, detail: e.message.slice(0, 300) } }));
    await rt.commit(ctx);
    return refused("upstream", st.flow, name);
  }
  return signInAs(rt, ctx, p, profile, st.flow, i.meta);
}

/** The account for a checked upstream identity, then the session (or the MFA step, or the link page). */
async function signInAs(rt: Runtime, ctx: TenantCtx, p: ProviderRow, profile: UpstreamProfile, flow: string | null, meta: RequestMeta): Promise<Result<IdpOutcome>> {
  const emailNorm = profile.email ? normalizeEmail(profile.email) : null;
  // Secrets are read and sealed before the transaction; the transaction re-reads and refuses if anything moved.
  const linked0 = findIdentity(ctx.sql, p.id, profile);
  const u0 = linked0 ? getUser(ctx.sql, linked0.user_id) : emailNorm ? findUserByLogin(ctx.sql, { kind: "email", value: emailNorm }) : null;
  const secret = u0 ? await rt.userSecret(u0) : null;
  const claimSecret = u0 && !linked0 && u0.email_verified !== 1 ? await rt.newSecret(u0.id) : null;
  const freshId = u0 ? null : newUserId();
  const fresh = freshId ? { id: freshId, ...(await rt.newSecret(freshId)) } : null;
  const name = displayNameOf(p);
  const r = rt.tx(ctx, (): Result<{ issued: Issued; claimed: number | null } | IdpOutcome> => {
    const refuse = (reason: IdpRefusal): Result<IdpOutcome> => ok({ kind: "refused", reason, flow, provider: name });
    const linked = findIdentity(ctx.sql, p.id, profile);
    let user = linked ? getUser(ctx.sql, linked.user_id) : emailNorm ? findUserByLogin(ctx.sql, { kind: "email", value: emailNorm }) : null;
    if ((linked?.id ?? null) !== (linked0?.id ?? null) || (user?.id ?? null) !== (u0?.id ?? null) || (user && user.secret_version !== u0!.secret_version)) return refuse("retry");
    let claimed: number | null = null;
    if (linked) {
      if (!user || user.status !== "active") return refuse("account_disabled");
      touchIdentity(ctx, linked, profile);
    } else {
      const d = linkDecision({ local: user, email: emailNorm, emailVerified: profile.emailVerified, trustVerifiedEmail: p.trust_verified_email, signupOpen: signupOpen(ctx) });
      if (typeof d === "object") {
        audit(ctx, { type: "login.failure", userId: user?.id ?? null, meta, data: { via: "upstream_idp", provider: p.id, reason: d.refuse } });
        return refuse(d.refuse);
      }
      if (d === "confirm") {
        const t = createOneTimeToken(ctx, "idp_link", { userId: user!.id, data: { provider: p.id, profile } });
        audit(ctx, { type: "identity.link_pending", userId: user!.id, meta, data: { provider: p.id } });
        return ok({ kind: "link", linkToken: t.token, email: user!.email ?? profile.email!, provider: name, flow });
      }
      if (d === "create") {
        user = insertUser(ctx, { id: fresh!.id, email: profile.email, username: null, email_norm: emailNorm, username_norm: null, email_verified: profile.emailVerified, sealedSecret: fresh!.sealed, metadata: {}, hash: null, algorithm: null });
        audit(ctx, { type: "signup", userId: user.id, meta, data: { via: "upstream_idp", provider: p.id } });
      }
      if (d === "claim") claimed = claimAccount(ctx, user!, { via: "upstream_idp", sealedSecret: claimSecret!.sealed, meta });
      linkIdentity(ctx, user!.id, p.id, profile);
      audit(ctx, { type: "identity.linked", userId: user!.id, meta, data: { provider: p.id, via: d } });
      user = getUser(ctx.sql, user!.id)!;
    }
    // As for a password sign-in: the account stands (and the link with it), the session waits for a verified email.
    if (mustVerifyEmail(ctx, user)) return refuse("unverified");
    // A factor the user set up still applies: the upstream proved one factor, not this account's
    // second. A tenant that requires a second factor asks for it whatever the provider's setting.
    const second = p.require_mfa || ctx.settings.mfa.required ? secondFactor(ctx, user, [AMR_FEDERATED]) : null;
    if (second) return ok({ kind: second.error.code === "mfa_enrollment_required" ? "mfa_enroll" : "mfa", mfaToken: String(second.error.extra?.mfa_token), flow });
    audit(ctx, { type: "login.success", userId: user.id, meta, data: { amr: [AMR_FEDERATED], provider: p.id, claimed: claimed !== null } });
    const key = claimed !== null ? claimSecret!.bytes : (secret ?? fresh!.bytes);
    return ok({ issued: issue(ctx, user, key, [AMR_FEDERATED], meta), claimed });
  });
  await rt.commit(ctx);
  if (!r.ok) return r;
  if (!("issued" in r.value)) return ok(r.value);
  if (fresh && !u0) rt.rememberSecret(fresh.id, 1, fresh.bytes);
  if (r.value.claimed !== null) rt.rememberSecret(u0!.id, r.value.claimed, claimSecret!.bytes);
  return ok({ kind: "signed_in", tokens: await rt.respond(ctx, r.value.issued), flow });
}

/** What the confirmation page shows about a pending link. */
export async function pendingLink(rt: Runtime, i: { linkToken: string }): Promise<Result<{ provider: string; email: string | null; userId: string }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const row = peekOneTimeToken(b.value.sql, "idp_link", i.linkToken, b.value.now);
  if (!row?.user_id) return fail("invalid_token");
  const d = JSON.parse(row.data ?? "{}") as { provider: string; profile: UpstreamProfile };
  const p = getProvider(b.value.sql, d.provider);
  return ok({ provider: p ? displayNameOf(p) : d.provider, email: d.profile.email, userId: row.user_id });
}

/**
 * The owner's yes: the browser is signed in as the account the link was made for, by a local
 * sign-in made after the link was offered (so through its own password and MFA), and confirms.
 */
export async function idpConfirmLink(rt: Runtime, i: { linkToken: string; cookieHash: string | null; meta: RequestMeta }): Promise<Result<{ provider: string }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, (): Result<{ provider: string }> => {
    const row = peekOneTimeToken(ctx.sql, "idp_link", i.linkToken, ctx.now);
    const who = findBrowserSession(ctx, i.cookieHash);
    if (!row || !who || who.user.id !== row.user_id || authTime(who.session) < row.created_at || (JSON.parse(who.session.amr) as string[]).includes(AMR_FEDERATED)) return fail("invalid_token", "Sign in to the account first, then confirm.");
    const d = JSON.parse(row.data ?? "{}") as { provider: string; profile: UpstreamProfile };
    const p = getProvider(ctx.sql, d.provider);
    if (!usable(p)) return fail("not_found", "No such identity provider.");
    consumeOneTimeToken(ctx, "idp_link", i.linkToken);
    if (findIdentity(ctx.sql, p.id, d.profile)) return fail("conflict", "This identity is already linked.");
    linkIdentity(ctx, who.user.id, p.id, d.profile);
    audit(ctx, { type: "identity.linked", userId: who.user.id, sessionId: who.session.id, meta: i.meta, data: { provider: p.id, via: "confirmed" } });
    return ok({ provider: displayNameOf(p) });
  });
  await rt.commit(ctx);
  return r;
}
