/**
 * @module The browser half of a WebAuthn ceremony, for `app.passkeys`: Warden's options JSON in,
 * `navigator.credentials.create()` / `.get()`, the credential's JSON out. WebAuthn L3 gives
 * both conversions to the platform (`PublicKeyCredential.parseCreationOptionsFromJSON` /
 * `parseRequestOptionsFromJSON`, section 5.1.9 and 5.1.10, and `credential.toJSON()`, section
 * 5.1.8); where a browser predates them, the same conversions are done here, base64url (RFC
 * 4648 section 5) to bytes for every binary member and back. The `credentials` container and the
 * `PublicKeyCredential` statics can be passed in, for tests and for platforms whose WebAuthn is
 * a native module rather than `navigator.credentials` (React Native).
 */
import { b64url, fromB64url } from "../crypto/bytes.ts";
import { WardenError } from "./errors.ts";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "./types.ts";

/** What the client needs of `navigator.credentials` (a `CredentialsContainer`). */
export interface CredentialsLike {
  create(options: { publicKey: any; signal?: AbortSignal }): Promise<unknown>;
  get(options: { publicKey: any; mediation?: string; signal?: AbortSignal }): Promise<unknown>;
}

/** The L3 static parsers of `PublicKeyCredential`, where the platform has them. */
export interface PublicKeyCredentialStatics {
  parseCreationOptionsFromJSON?(json: unknown): unknown;
  parseRequestOptionsFromJSON?(json: unknown): unknown;
}

export interface CeremonyOptions {
  /** `conditional` for passkeys offered in the username field's autofill (sign-in only). */
  mediation?: "conditional" | "optional" | "required" | "silent";
  signal?: AbortSignal;
}

const g = globalThis as Record<string, any>;

const bytes = (s: string): ArrayBuffer => fromB64url(s).buffer as ArrayBuffer;
const text = (b: ArrayBuffer | ArrayBufferView): string => b64url(b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
const descriptors = (list: { id: string }[] | undefined) => list?.map((c) => ({ ...c, id: bytes(c.id) }));

/** `parseCreationOptionsFromJSON` without the platform: challenge, user id and excluded ids as bytes. */
export function creationOptionsFromJSON(json: any): any {
  return { ...json, challenge: bytes(json.challenge), user: { ...json.user, id: bytes(json.user.id) }, ...(json.excludeCredentials ? { excludeCredentials: descriptors(json.excludeCredentials) } : {}) };
}

/** `parseRequestOptionsFromJSON` without the platform: challenge and allowed ids as bytes. */
export function requestOptionsFromJSON(json: any): any {
  return { ...json, challenge: bytes(json.challenge), ...(json.allowCredentials ? { allowCredentials: descriptors(json.allowCredentials) } : {}) };
}

/**
 * `credential.toJSON()`, or the same written here from its bytes: an attestation
 * (`response.attestationObject`) or an assertion (`response.signature`).
 */
export function credentialToJSON(c: any): RegistrationResponseJSON | AuthenticationResponseJSON {
  if (typeof c.toJSON === "function") return c.toJSON();
  const r = c.response;
  const common = {
    id: c.id as string,
    rawId: text(c.rawId),
    type: "public-key" as const,
    authenticatorAttachment: c.authenticatorAttachment ?? null,
    clientExtensionResults: typeof c.getClientExtensionResults === "function" ? c.getClientExtensionResults() : {},
  };
  if (r.attestationObject) {
    const transports = typeof r.getTransports === "function" ? r.getTransports() : undefined;
    return { ...common, response: { clientDataJSON: text(r.clientDataJSON), attestationObject: text(r.attestationObject), ...(transports ? { transports } : {}) } };
  }
  return {
    ...common,
    response: { clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData), signature: text(r.signature), userHandle: r.userHandle ? text(r.userHandle) : null },
  };
}

export interface Ceremony {
  create(options: unknown, o?: CeremonyOptions): Promise<RegistrationResponseJSON>;
  get(options: unknown, o?: CeremonyOptions): Promise<AuthenticationResponseJSON>;
}

/**
 * The ceremonies over the given container, or the page's. The platform's errors come through
 * as they are (a `DOMException`: `NotAllowedError` when the user cancels or the time runs out,
 * `InvalidStateError` for a passkey already registered on this authenticator).
 */
export function createCeremony(o: { credentials?: CredentialsLike | null; PublicKeyCredential?: PublicKeyCredentialStatics | null }): Ceremony {
  const container = (): CredentialsLike => {
    const c = o.credentials !== undefined ? o.credentials : (g.navigator?.credentials as CredentialsLike | undefined);
    if (!c) throw new WardenError("passkeys_unsupported", "This platform has no WebAuthn (navigator.credentials); pass `credentials` to createWardenApp.");
    return c;
  };
  const statics = (): PublicKeyCredentialStatics | null => (o.PublicKeyCredential !== undefined ? o.PublicKeyCredential : (g.PublicKeyCredential ?? null));
  const extra = (x: CeremonyOptions = {}) => ({ ...(x.mediation ? { mediation: x.mediation } : {}), ...(x.signal ? { signal: x.signal } : {}) });
  const got = (c: unknown) => {
    // A container answers null only when no credential was chosen without an error (L3 section 5.1.4.1).
    if (!c) throw new WardenError("passkey_cancelled", "No passkey was chosen.");
    return credentialToJSON(c);
  };
  return {
    async create(options, x) {
      const parse = statics()?.parseCreationOptionsFromJSON;
      const publicKey = parse ? parse.call(statics(), options) : creationOptionsFromJSON(options);
      return got(await container().create({ publicKey, ...extra(x) })) as RegistrationResponseJSON;
    },
    async get(options, x) {
      const parse = statics()?.parseRequestOptionsFromJSON;
      const publicKey = parse ? parse.call(statics(), options) : requestOptionsFromJSON(options);
      return got(await container().get({ publicKey, ...extra(x) })) as AuthenticationResponseJSON;
    },
  };
}
