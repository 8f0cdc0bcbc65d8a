/**
 * @module The contract between the tenant object and its flow modules. A flow is
 * `begin` (load the tenant or refuse), any async preparation (sealing, signature checks),
 * one synchronous `tx`, then `commit` effects (broadcast, outbox, alarm) and, last, signing.
 */
import type { Result } from "../../src/errors.ts";
import type { Sealer } from "../../src/crypto/seal.ts";
import type { Env } from "../../src/env.ts";
import type { TenantCtx } from "./context.ts";
import type { KeyRing } from "./keys.ts";
import type { AccessClaims } from "./tokens.ts";
import type { UserRow } from "./users.ts";
import type { PublicUser } from "./users.ts";

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  session_id: string;
  user: PublicUser;
}

/** What a flow hands back from its transaction so the response can be signed after commit. */
export interface Issued {
  claims: AccessClaims;
  refreshToken: string;
  user: PublicUser;
  secret: Uint8Array;
}

export interface Runtime {
  readonly sealer: Sealer;
  readonly ring: KeyRing;
  /** Vars and bindings (e.g. ENVIRONMENT, for the development log of messages). */
  readonly bindings: Env;
  /** A fresh context for one operation, or `tenant_not_found` (writes nothing). */
  begin(opts?: { allowDeleted?: boolean }): Promise<Result<TenantCtx>>;
  /** Runs `fn` in one synchronous SQLite transaction; a throw rolls everything back. */
  tx<T>(ctx: TenantCtx, fn: () => T): T;
  /**
   * Group commit: resolves on the object's next turn, the same one for every caller that asks
   * before it comes. Their transactions then run back to back in that turn and SQLite commits
   * them once, instead of once each.
   */
  writeTurn(): Promise<void>;
  /** After the commit: broadcast events, deliver the outbox, move the alarm. */
  commit(ctx: TenantCtx): Promise<void>;
  userSecret(user: Pick<UserRow, "id" | "secret" | "secret_version">): Promise<Uint8Array>;
  /** The user's secret for this version if it is in memory already, so a transaction can use it without an await. */
  knownSecret(user: Pick<UserRow, "id" | "secret_version">): Uint8Array | null;
  /** A new 512-bit user secret and its sealed form, made before the transaction. */
  newSecret(userId: string): Promise<{ bytes: Uint8Array; sealed: string }>;
  rememberSecret(userId: string, version: number, bytes: Uint8Array): void;
  verifyAccess(ctx: TenantCtx, token: string): Promise<AccessClaims | null>;
  respond(ctx: TenantCtx, issued: Issued): Promise<TokenResponse>;
  isOnline(sessionId: string): boolean;
}
