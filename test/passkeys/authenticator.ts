/**
 * @module A software WebAuthn authenticator and client for the tests: ES256 (P-256) and
 * EdDSA (Ed25519) keys from WebCrypto, real CBOR attestation objects with `none` attestation
 * (WebAuthn L3 section 8.7), authenticator data with its flags and sign counter (section 6.1),
 * clientDataJSON (section 5.8.1), and the JSON that `PublicKeyCredential.toJSON()` gives. Every
 * part can be overridden, so a test can make exactly the bad response it needs.
 */
import { b64url, fromB64url, utf8 } from "../../src/crypto/bytes.ts";

// ---------------------------------------------------------------- CBOR (RFC 8949), the subset WebAuthn uses

type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export function cbor(v: Cbor): Uint8Array {
  const out: number[] = [];
  const put = (x: Cbor): void => {
    if (typeof x === "number") out.push(...(x >= 0 ? head(0, x) : head(1, -1 - x)));
    else if (typeof x === "string") {
      const b = utf8(x);
      out.push(...head(3, b.length), ...b);
    } else if (x instanceof Uint8Array) out.push(...head(2, x.length), ...x);
    else if (Array.isArray(x)) {
      out.push(...head(4, x.length));
      x.forEach(put);
    } else {
      out.push(...head(5, x.size));
      for (const [k, val] of x) (put(k), put(val));
    }
  };
  put(v);
  return new Uint8Array(out);
}

// ---------------------------------------------------------------- bytes

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};
const u32 = (n: number) => new Uint8Array([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const sha256 = async (b: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(b)));

/** WebCrypto's ECDSA signature is r‖s; WebAuthn wants the ASN.1 DER `Ecdsa-Sig-Value` (L3 section 6.5.5). */
function derOf(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v: Uint8Array = b.slice(i);
    if (v[0] & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

// ---------------------------------------------------------------- keys

export type Alg = "ES256" | "EdDSA";

interface Key {
  alg: Alg;
  cose: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

async function newKey(alg: Alg): Promise<Key> {
  if (alg === "ES256") {
    const k = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", k.publicKey)) as JsonWebKey;
    // COSE_Key (RFC 9053 section 7.1.1): kty EC2, alg ES256, crv P-256, x, y
    const cose = cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, fromB64url(jwk.x!)], [-3, fromB64url(jwk.y!)]]));
    return { alg, cose, sign: async (d) => derOf(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, k.privateKey, d))) };
  }
  const k = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", k.publicKey)) as ArrayBuffer);
  // COSE_Key (RFC 9053 section 7.2): kty OKP, alg EdDSA, crv Ed25519, x
  const cose = cbor(new Map<number, Cbor>([[1, 1], [3, -8], [-1, 6], [-2, raw]]));
  return { alg, cose, sign: async (d) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, k.privateKey, d)) };
}

// ---------------------------------------------------------------- the authenticator

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

export interface Credential {
  id: string;
  rpId: string;
  userHandle: string;
  key: Key;
  counter: number;
}

/** What a test may change in one ceremony. */
export interface Overrides {
  origin?: string;
  type?: string;
  challenge?: string;
  rpId?: string;
  /** The flags byte as a whole (AT is added at registration). */
  flags?: number;
  counter?: number;
  credentialId?: string;
  userHandle?: string | null;
  crossOrigin?: boolean;
  /** Registration: reuse this credential (its id and key) instead of making one. */
  reuse?: Credential;
  /** Assertion: sign something else, so the signature is wrong. */
  badSignature?: boolean;
}

export interface Options {
  alg?: Alg;
  origin?: string;
  /** Counters: "zero" (many platform passkeys always send 0) or "increasing" (+1 per use). */
  counter?: "zero" | "increasing";
  userVerification?: boolean;
  backup?: boolean;
}

const AAGUID = new Uint8Array(16);

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];
  readonly alg: Alg;
  readonly origin: string;
  readonly counting: boolean;
  readonly uv: boolean;
  readonly backup: boolean;

  constructor(o: Options = {}) {
    this.alg = o.alg ?? "ES256";
    this.origin = o.origin ?? "http://warden.test";
    this.counting = (o.counter ?? "increasing") === "increasing";
    this.uv = o.userVerification ?? true;
    this.backup = o.backup ?? false;
  }

  #flags(): number {
    return FLAG.UP | (this.uv ? FLAG.UV : 0) | (this.backup ? FLAG.BE | FLAG.BS : 0);
  }

  #clientData(type: string, challenge: string, o: Overrides): Uint8Array {
    return utf8(JSON.stringify({ type: o.type ?? type, challenge: o.challenge ?? challenge, origin: o.origin ?? this.origin, crossOrigin: o.crossOrigin ?? false }));
  }

  /** `navigator.credentials.create()`, then `credential.toJSON()`. */
  async create(options: any, o: Overrides = {}): Promise<any> {
    const rpId: string = o.rpId ?? options.rp.id;
    const key = o.reuse?.key ?? (await newKey(this.alg));
    const id = o.credentialId ?? o.reuse?.id ?? b64url(crypto.getRandomValues(new Uint8Array(16)));
    const counter = o.counter ?? (this.counting ? 1 : 0);
    const cred: Credential = { id, rpId, userHandle: options.user.id, key, counter };
    const idBytes = fromB64url(id);
    const authData = concat(
      await sha256(utf8(rpId)),
      new Uint8Array([(o.flags ?? this.#flags()) | FLAG.AT]),
      u32(counter),
      AAGUID,
      new Uint8Array([idBytes.length >> 8, idBytes.length & 0xff]),
      idBytes,
      key.cose,
    );
    const attestationObject = cbor(new Map<string, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    if (!o.reuse) this.credentials.push(cred);
    return {
      id,
      rawId: id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(this.#clientData("webauthn.create", options.challenge, o)), attestationObject: b64url(attestationObject), transports: ["internal", "hybrid"] },
    };
  }

  /** `navigator.credentials.get()`, then `credential.toJSON()`: an allowed credential of ours, or (none listed) our newest for the RP. */
  async get(options: any, o: Overrides = {}): Promise<any> {
    const allowed: string[] = (options.allowCredentials ?? []).map((c: { id: string }) => c.id);
    const cred = allowed.length
      ? this.credentials.find((c) => allowed.includes(c.id))
      : [...this.credentials].reverse().find((c) => c.rpId === options.rpId);
    if (!cred) throw new Error("the authenticator has no credential for these options");
    if (o.counter === undefined && this.counting) cred.counter++;
    const counter = o.counter ?? cred.counter;
    const authData = concat(await sha256(utf8(o.rpId ?? cred.rpId)), new Uint8Array([o.flags ?? this.#flags()]), u32(counter));
    const clientDataJSON = this.#clientData("webauthn.get", options.challenge, o);
    const signed = concat(authData, await sha256(o.badSignature ? utf8("something else") : clientDataJSON));
    const handle = o.userHandle === undefined ? cred.userHandle : o.userHandle;
    return {
      id: o.credentialId ?? cred.id,
      rawId: o.credentialId ?? cred.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(await cred.key.sign(signed)), ...(handle === null ? {} : { userHandle: handle }) },
    };
  }
}
