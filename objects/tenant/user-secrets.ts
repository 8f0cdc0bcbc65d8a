/**
 * @module The users' secrets in memory. Each user has a 64-byte secret, sealed at rest; its
 * `secret_version` moves whenever it is replaced (a password change, "sign out everywhere"),
 * which kills every token keyed to the old one. A secret is unsealed on first use and kept
 * under its version, so a kept secret of an older version is never used. At most MAX users'
 * secrets are kept; the one remembered longest ago goes first.
 */
import { randomBytes } from "../../src/crypto/random.ts";
import type { Sealer } from "../../src/crypto/seal.ts";
import type { UserRow } from "./users.ts";

const MAX = 10_000;

export class UserSecrets {
  readonly #byUser = new Map<string, { version: number; bytes: Uint8Array }>();
  /** The tenant's sealer and slug, once the tenant is loaded. */
  readonly #tenant: () => { sealer: Sealer; slug: string };

  constructor(tenant: () => { sealer: Sealer; slug: string }) {
    this.#tenant = tenant;
  }

  /** The user's secret of their current version, if it is in memory. */
  known(user: Pick<UserRow, "id" | "secret_version">): Uint8Array | null {
    const c = this.#byUser.get(user.id);
    return c && c.version === user.secret_version ? c.bytes : null;
  }

  /** The user's current secret, unsealed from their row when it is not in memory. */
  async open(user: Pick<UserRow, "id" | "secret" | "secret_version">): Promise<Uint8Array> {
    const known = this.known(user);
    if (known) return known;
    const { sealer, slug } = this.#tenant();
    const bytes = await sealer.open(user.secret, "user-secret", slug, user.id);
    this.remember(user.id, user.secret_version, bytes);
    return bytes;
  }

  /** A new secret for the user, and its sealed form to store. */
  async fresh(userId: string): Promise<{ bytes: Uint8Array; sealed: string }> {
    const bytes = randomBytes(64);
    const { sealer, slug } = this.#tenant();
    return { bytes, sealed: await sealer.seal(bytes, "user-secret", slug, userId) };
  }

  remember(userId: string, version: number, bytes: Uint8Array): void {
    this.#byUser.delete(userId);
    if (this.#byUser.size >= MAX) this.#byUser.delete(this.#byUser.keys().next().value!);
    this.#byUser.set(userId, { version, bytes });
  }

  clear(): void {
    this.#byUser.clear();
  }
}
