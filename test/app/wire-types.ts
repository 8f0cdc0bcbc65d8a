/**
 * @module Compile-time only (`npm run typecheck`): the app client's wire types, written out in
 * src/app/types.ts so the published package needs no zod, are exactly the server's, the
 * request bodies as the zod schemas read them and the answers as the tenant object builds
 * them. A drift on either side fails the type check here.
 */
import type { z } from "zod";
import type * as app from "../../src/app/types.ts";
import type { loginBody, passkeySignupOptionsBody, patchMeBody, reauthBody, signupBody } from "../../schema/requests.ts";
import type { PublicPasskey } from "../../objects/tenant/passkeys/store.ts";
import type { TokenResponse } from "../../objects/tenant/runtime.ts";
import type { PublicUser } from "../../objects/tenant/users.ts";
import type { PublicSession } from "../../objects/tenant/sessions.ts";
import type { TotpEnrollment } from "../../objects/tenant/flows/mfa.ts";

/** Same keys, and each side assignable to the other: an added, removed, retyped or newly optional field breaks it. */
type Keys<T> = T extends unknown ? keyof T : never;
type Alike<A, B> = [A] extends [B] ? ([B] extends [A] ? ([Keys<A>] extends [Keys<B>] ? ([Keys<B>] extends [Keys<A>] ? true : false) : false) : false) : false;
/** Every A is a B, with the same field names: for a client type stricter than the schema's. */
type Accepted<A, B> = [A] extends [B] ? ([Keys<A>] extends [Keys<B>] ? ([Keys<B>] extends [Keys<A>] ? true : false) : false) : false;

export const wireTypes: [
  Alike<app.SignUpInput, z.input<typeof signupBody>>,
  Alike<app.SignInInput, z.input<typeof loginBody>>,
  Alike<app.UpdateUserInput, z.input<typeof patchMeBody>>,
  // The schema's "exactly one proof" is a refine over optional fields; the client spells it as a union.
  Accepted<app.ReauthInput, z.input<typeof reauthBody>>,
  Alike<app.TokenResponse, TokenResponse>,
  Alike<app.PublicUser, PublicUser>,
  Alike<app.PublicSession, PublicSession>,
  Alike<app.TotpEnrollment, TotpEnrollment>,
  Alike<app.PublicPasskey, PublicPasskey>,
  // The schema's "email or username" is a refine over optional fields.
  Alike<app.PasskeySignUpInput, z.input<typeof passkeySignupOptionsBody>>,
] = [true, true, true, true, true, true, true, true, true, true];
