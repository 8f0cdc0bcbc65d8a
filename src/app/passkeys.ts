/**
 * @module `app.passkeys`: sign-in (usernameless or for a login), passkey-only sign-up,
 * registration and management for the signed-in user, and step-up, over Warden's passkey
 * routes. Each ceremony is Warden's options, the authenticator (webauthn.ts), then the
 * credential's JSON back to Warden; a sign-in's tokens go through the same `firstFactor` as a
 * password's, so they land in the same store, refresh the same way and are signed out across
 * tabs the same way. The second factor (`completeWithPasskey` of an `mfa_required` result) is
 * `mfaWithPasskey` here, used by client.ts.
 */
import type { Http } from "./http.ts";
import type { Ceremony, CeremonyOptions } from "./webauthn.ts";
import type { PasskeySignUpInput, PublicPasskey, Session, SignInResult, TokenResponse } from "./types.ts";

export interface PasskeyDeps {
  http: Http;
  ceremony: Ceremony;
  /** A first factor's answer: signed in, or `mfa_required` (client.ts). */
  firstFactor(call: () => Promise<TokenResponse>): Promise<SignInResult>;
  /** A call with the access token, refreshed once on `invalid_token`. */
  authed<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A call answering a new pair for this session (step-up). */
  renewing(method: string, path: string, body?: unknown): Promise<Session>;
}

/** `POST /login/mfa/webauthn/options {mfa_token}`, the assertion, then `POST /login/mfa {mfa_token, webauthn}`. */
export async function mfaWithPasskey(http: Http, ceremony: Ceremony, mfaToken: string): Promise<TokenResponse> {
  const options = await http.call("POST", "/login/mfa/webauthn/options", { body: { mfa_token: mfaToken } });
  const webauthn = await ceremony.get(options);
  return http.call("POST", "/login/mfa", { body: { mfa_token: mfaToken, webauthn } });
}

export function createPasskeys(d: PasskeyDeps) {
  const { http, ceremony } = d;
  return {
    /**
     * Signs in with a passkey. Without `login` the ceremony is usernameless (a discoverable
     * credential; with `mediation: "conditional"`, from the username field's autofill); with it,
     * the browser is offered that user's passkeys. A passkey without user verification on an
     * account with TOTP answers `mfa_required`, like a password.
     */
    signIn: async (o: CeremonyOptions & { login?: string } = {}): Promise<SignInResult> => {
      const options = await http.call("POST", "/login/passkey/options", o.login === undefined ? {} : { body: { login: o.login } });
      const response = await ceremony.get(options, o);
      return d.firstFactor(() => http.call("POST", "/login/passkey", { body: { response } }));
    },
    /** A new account whose only credential is a passkey (`email` or `username` required). */
    signUp: async (input: PasskeySignUpInput & { name?: string }, o: CeremonyOptions = {}): Promise<SignInResult> => {
      const { name, ...account } = input;
      const options = await http.call("POST", "/signup/passkey/options", { body: account });
      const response = await ceremony.create(options, o);
      return d.firstFactor(() => http.call("POST", "/signup/passkey", { body: { response, ...(name ? { name } : {}) } }));
    },
    /** Adds a passkey to the signed-in user. Needs a recent authentication (`reauth`, or a sign-in within 5 minutes). */
    register: async (o: CeremonyOptions & { name?: string } = {}): Promise<PublicPasskey> => {
      const options = await d.authed("POST", "/passkeys/register/options");
      const response = await ceremony.create(options, o);
      return d.authed("POST", "/passkeys/register/verify", { response, ...(o.name ? { name: o.name } : {}) });
    },
    /** Step-up with one of the user's passkeys: the session goes on with a fresh `auth_time`. */
    reauth: async (o: CeremonyOptions = {}): Promise<Session> => {
      const options = await d.authed("POST", "/reauth/webauthn/options");
      const webauthn = await ceremony.get(options, o);
      return d.renewing("POST", "/reauth", { webauthn });
    },
    list: async (): Promise<PublicPasskey[]> => (await d.authed<{ passkeys: PublicPasskey[] }>("GET", "/passkeys")).passkeys,
    rename: (id: string, name: string): Promise<PublicPasskey> => d.authed("PATCH", `/passkeys/${encodeURIComponent(id)}`, { name }),
    /**
     * Needs a recent authentication. Ends the sessions that passkey signed in; if this is one of
     * them, the live socket signs this client out too (`session_revoked`).
     */
    remove: (id: string): Promise<void> => d.authed("DELETE", `/passkeys/${encodeURIComponent(id)}`),
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
