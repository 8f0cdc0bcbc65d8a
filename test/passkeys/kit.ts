/**
 * @module Shared pieces of the passkey tests: the ceremonies over HTTP with a software
 * authenticator (authenticator.ts), and a tenant with a user who has registered one.
 */
import { expect } from "vitest";
import { call, type Call } from "../helpers.ts";
import { client, tenantWithUser } from "../account/kit.ts";
import { SoftAuthenticator, type Options, type Overrides } from "./authenticator.ts";

export { SoftAuthenticator };

type Req = ReturnType<typeof client>;

/** Options, the authenticator's `create`, then verify; the verify call's answer. */
export async function register(t: string, access: string, auth: SoftAuthenticator, o: Overrides & { name?: string; req?: Req; options?: any } = {}): Promise<Call> {
  const req = o.req ?? call;
  const options = o.options ?? (await req("POST", `/v1/${t}/passkeys/register/options`, { token: access }));
  if (!o.options) expect(options.status, JSON.stringify(options.body)).toBe(200);
  const response = await auth.create(o.options ?? options.body, o);
  return req("POST", `/v1/${t}/passkeys/register/verify`, { token: access, body: { response, ...(o.name ? { name: o.name } : {}) } });
}

export async function loginOptions(t: string, login?: string, req: Req = call): Promise<any> {
  const r = await req("POST", `/v1/${t}/login/passkey/options`, login === undefined ? {} : { body: { login } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** A passkey sign-in: options (usernameless unless `login`), the assertion, then `POST /login/passkey`. */
export async function signIn(t: string, auth: SoftAuthenticator, o: Overrides & { login?: string; req?: Req } = {}): Promise<Call> {
  const req = o.req ?? call;
  const options = await loginOptions(t, o.login, req);
  const response = await auth.get(options, o);
  return req("POST", `/v1/${t}/login/passkey`, { body: { response } });
}

/** A tenant whose user signed up with a password and, in the same fresh session, registered a passkey. */
export async function userWithPasskey(settings: Record<string, unknown> = {}, auth: Options = {}) {
  const u = await tenantWithUser(settings);
  const authenticator = new SoftAuthenticator(auth);
  const r = await register(u.t, u.access, authenticator);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ...u, auth: authenticator, passkey: r.body };
}
