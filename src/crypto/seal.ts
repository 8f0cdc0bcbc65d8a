/**
 * @module Secrets at rest: AES-256-GCM under a key derived with HKDF-SHA256 (RFC 5869) from
 * MASTER_KEY and the purpose, with `tenant|row|purpose` as associated data so a sealed value
 * cannot be moved to another row or tenant. The output names the master key that sealed it
 * (a fingerprint), so during a rotation values sealed under MASTER_KEY_PREVIOUS still open.
 *
 *   v1.<key fingerprint>.<iv b64url>.<ciphertext+tag b64url>
 */
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { b64url, fromB64url, hex, utf8 } from "./bytes.ts";

export type SealPurpose = "user-secret" | "signing-key" | "totp-secret" | "webhook-secret" | "outbox-message" | "idp-secret" | "console-session";

/** A MAC key derived from one master key, named by that key's fingerprint. */
export interface MacKey {
  id: string;
  key: Uint8Array;
}

interface MasterKey {
  id: string;
  raw: Uint8Array;
  derived: Map<string, Promise<CryptoKey>>;
  /** The same AES keys as raw bytes, for `sealSync`. */
  raw256: Map<string, Uint8Array>;
  macs: Map<string, Uint8Array>;
}

export class Sealer {
  readonly #current: MasterKey;
  readonly #all: Map<string, MasterKey>;

  /** `masterKey` and `previous` are the secrets' strings; at least 32 characters each. */
  static async create(masterKey: string, previous?: string): Promise<Sealer> {
    if (!masterKey || masterKey.length < 32) throw new Error("MASTER_KEY must be at least 32 characters");
    const load = async (s: string): Promise<MasterKey> => {
      const raw = utf8(s);
      const fp = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
      return { id: hex(fp.subarray(0, 4)), raw, derived: new Map(), raw256: new Map(), macs: new Map() };
    };
    const current = await load(masterKey);
    const all = [current];
    if (previous && previous.length >= 32) all.push(await load(previous));
    return new Sealer(current, all);
  }

  private constructor(current: MasterKey, all: MasterKey[]) {
    this.#current = current;
    this.#all = new Map(all.map((k) => [k.id, k]));
  }

  get keyId(): string {
    return this.#current.id;
  }

  #key(mk: MasterKey, purpose: SealPurpose): Promise<CryptoKey> {
    let k = mk.derived.get(purpose);
    if (!k) {
      k = (async () => {
        const base = await crypto.subtle.importKey("raw", mk.raw, "HKDF", false, ["deriveKey"]);
        return crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: utf8("warden/seal/v1"), info: utf8(purpose) },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        );
      })();
      mk.derived.set(purpose, k);
    }
    return k;
  }

  async seal(plaintext: Uint8Array, purpose: SealPurpose, tenant: string, row: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const key = await this.#key(this.#current, purpose);
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8(`${tenant}|${row}|${purpose}`) },
      key,
      plaintext,
    );
    return `v1.${this.#current.id}.${b64url(iv)}.${b64url(new Uint8Array(ct))}`;
  }

  /**
   * `seal`, synchronously (@noble/ciphers' AES-256-GCM under the same HKDF-derived key, so
   * `open` opens it): for a value that must be written inside the transaction that creates it,
   * such as an outbox message carrying a one-time token, where an await would split the write
   * from the change it belongs to.
   */
  sealSync(plaintext: Uint8Array, purpose: SealPurpose, tenant: string, row: string): string {
    const mk = this.#current;
    let key = mk.raw256.get(purpose);
    if (!key) {
      key = hkdf(sha256, mk.raw, utf8("warden/seal/v1"), utf8(purpose), 32);
      mk.raw256.set(purpose, key);
    }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = gcm(key, iv, utf8(`${tenant}|${row}|${purpose}`)).encrypt(plaintext);
    return `v1.${mk.id}.${b64url(iv)}.${b64url(ct)}`;
  }

  /** Throws if the value is malformed, sealed under an unknown key, or tampered with. */
  async open(sealed: string, purpose: SealPurpose, tenant: string, row: string): Promise<Uint8Array> {
    const [v, kid, iv, ct] = sealed.split(".");
    if (v !== "v1" || !kid || !iv || !ct) throw new Error("malformed sealed value");
    const mk = this.#all.get(kid);
    if (!mk) throw new Error("sealed under an unknown master key");
    const key = await this.#key(mk, purpose);
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromB64url(iv), additionalData: utf8(`${tenant}|${row}|${purpose}`) },
      key,
      fromB64url(ct),
    );
    return new Uint8Array(pt);
  }

  /**
   * A 256-bit HMAC key for `label`, derived with HKDF-SHA256 (RFC 5869) from the current
   * master key, or from the one whose fingerprint is `id` (null when that key is not
   * configured). Synchronous (@noble/hashes) so a transaction can MAC what it writes.
   */
  macKey(label: string, id: string = this.#current.id): MacKey | null {
    const mk = this.#all.get(id);
    if (!mk) return null;
    let key = mk.macs.get(label);
    if (!key) {
      key = hkdf(sha256, mk.raw, utf8("warden/mac/v1"), utf8(label), 32);
      mk.macs.set(label, key);
    }
    return { id: mk.id, key };
  }

  /** True when the value was sealed under an older master key and should be re-sealed. */
  isStale(sealed: string): boolean {
    return sealed.split(".")[1] !== this.#current.id;
  }
}
