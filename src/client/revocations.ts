/**
 * @module What the verifier knows about revoked tokens, in bounded memory. Three facts:
 *
 * - revoked sessions: a token whose `sid` is here is dead (`session.revoked`, `session.expired`);
 * - per-user minimum `ver`: a token whose `ver` is older is dead (`user.revoked`,
 *   `user.disabled`, `user.deleted` carry the user's new secret version);
 * - `tenantBefore` (`tenant.revoked`: an operator signed every user out): a user token issued
 *   in an earlier second is dead; one issued in the event's own second is "uncertain" (`iat`
 *   has second precision, and a sign-in just after the event is live). Machine tokens
 *   (`client_credentials`: `sub` is the `client_id`) are not sessions and are not touched;
 * - `unknownBefore`: tokens issued before this instant may have been revoked by an event the
 *   verifier never saw (a `reset`, or an entry dropped to stay within `maxEntries`); they are
 *   "uncertain" and the verifier asks introspection about them.
 *
 * Every entry concerns tokens issued before its event, and no access token lives longer than
 * `maxTokenTtlS` (the `access_ttl_s` setting: at most 3600 s), so an entry is kept until its event time
 * plus that TTL plus `leewayS` for clock skew, and then pruned: past that, every token it
 * could reject has expired anyway. `unknownBefore` expires the same way.
 */
import type { WardenEvent } from "./types.ts";

export interface RevocationOptions {
  /** The longest access-token lifetime of the tenant, in seconds. Default 3600 (the most `access_ttl_s` allows). */
  maxTokenTtlS?: number;
  /** Allowance for clock skew between Warden and this server, in seconds. Default 60. */
  leewayS?: number;
  /** Entries kept at most (sessions plus users). Default 100,000 (a few MB). */
  maxEntries?: number;
  /** Minimum time between two pruning scans, in ms. Default 60,000. */
  pruneEveryMs?: number;
}

export type RevocationVerdict = "ok" | "revoked" | "uncertain";

interface UserEntry {
  /** Tokens with an older `ver` are dead. */
  ver: number;
  /** Tokens issued at or before this (ms) are dead: for a user event that carries no `ver`. */
  before: number;
  until: number;
}

export class Revocations {
  readonly #sessions = new Map<string, number>();
  readonly #users = new Map<string, UserEntry>();
  readonly #horizonMs: number;
  readonly #maxEntries: number;
  readonly #pruneEveryMs: number;
  #unknownBefore = 0;
  /** The latest `tenant.revoked` (ms); it lapses with the horizon, like `unknownBefore`. */
  #tenantBefore = 0;
  #lastPrune = 0;

  constructor(o: RevocationOptions = {}) {
    this.#horizonMs = ((o.maxTokenTtlS ?? 3600) + (o.leewayS ?? 60)) * 1000;
    this.#maxEntries = o.maxEntries ?? 100_000;
    this.#pruneEveryMs = o.pruneEveryMs ?? 60_000;
  }

  /** Records what an event revokes. `now` drives pruning. */
  apply(e: WardenEvent, now: number): void {
    const at = Date.parse(e.ts);
    if (!Number.isFinite(at)) return;
    const until = at + this.#horizonMs;
    if (until <= now) return; // every token it concerns has expired
    switch (e.type) {
      case "session.revoked":
      case "session.expired":
        if (!e.sid) return;
        this.#sessions.delete(e.sid); // re-insert: the maps stay in `until` order, oldest first
        this.#sessions.set(e.sid, until);
        break;
      case "user.revoked":
      case "user.disabled":
      case "user.deleted": {
        const prev = this.#users.get(e.sub);
        const next: UserEntry = {
          ver: Math.max(prev?.ver ?? 0, e.ver ?? 0),
          before: e.ver === undefined ? Math.max(prev?.before ?? 0, at) : (prev?.before ?? 0),
          until: Math.max(prev?.until ?? 0, until),
        };
        this.#users.delete(e.sub);
        this.#users.set(e.sub, next);
        break;
      }
      case "tenant.revoked":
        this.#tenantBefore = Math.max(this.#tenantBefore, at);
        break;
      default:
        return; // key.rotated and unknown types revoke nothing
    }
    this.#bound();
    this.prune(now);
  }

  /** Marks every token issued before `at` (ms, Warden's clock) as uncertain. */
  forgetBefore(at: number): void {
    this.#unknownBefore = Math.max(this.#unknownBefore, at);
  }

  check(c: { sid: string; sub: string; ver: number; iat: number; client_id?: unknown }, now: number): RevocationVerdict {
    this.prune(now);
    if (this.#sessions.has(c.sid)) return "revoked";
    const u = this.#users.get(c.sub);
    if (u && (c.ver < u.ver || c.iat * 1000 <= u.before)) return "revoked";
    if (this.#tenantBefore && c.client_id !== c.sub) {
      const second = Math.floor(this.#tenantBefore / 1000);
      if (c.iat < second) return "revoked";
      if (c.iat === second) return "uncertain";
    }
    // iat has second precision: a token issued in the same second as the mark counts as before it
    if (c.iat * 1000 < this.#unknownBefore) return "uncertain";
    return "ok";
  }

  /** Drops entries whose tokens have all expired; at most once per `pruneEveryMs` unless forced. */
  prune(now: number, force = false): void {
    if (!force && now - this.#lastPrune < this.#pruneEveryMs) return;
    this.#lastPrune = now;
    for (const [sid, until] of this.#sessions) if (until <= now) this.#sessions.delete(sid);
    for (const [sub, u] of this.#users) if (u.until <= now) this.#users.delete(sub);
    if (this.#unknownBefore && this.#unknownBefore + this.#horizonMs <= now) this.#unknownBefore = 0;
    if (this.#tenantBefore && this.#tenantBefore + this.#horizonMs <= now) this.#tenantBefore = 0;
  }

  /**
   * Over `maxEntries`, drops the oldest entries and marks the tokens they concerned (issued
   * before their event) uncertain: memory stays bounded and nothing revoked is accepted.
   */
  #bound(): void {
    while (this.#sessions.size + this.#users.size > this.#maxEntries) {
      const s = this.#sessions.entries().next().value;
      const u = this.#users.entries().next().value;
      const dropSession = s && (!u || s[1] <= u[1].until);
      const until = dropSession ? s![1] : u![1].until;
      if (dropSession) this.#sessions.delete(s![0]);
      else this.#users.delete(u![0]);
      this.forgetBefore(until - this.#horizonMs + 1000);
    }
  }

  get size(): number {
    return this.#sessions.size + this.#users.size;
  }

  stats(): { sessions: number; users: number; unknownBefore: number | null; tenantRevokedAt: number | null } {
    return { sessions: this.#sessions.size, users: this.#users.size, unknownBefore: this.#unknownBefore || null, tenantRevokedAt: this.#tenantBefore || null };
  }
}
