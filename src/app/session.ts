/**
 * @module The stored session and its refresh. Storage is the truth that every tab shares; each
 * instance keeps a copy, re-read on every `getAccessToken` and on every notice, and reports
 * each change once to its listeners (`signed_in`, `refreshed`, `signed_out` with a reason).
 *
 * Refresh: ahead of expiry, timed from `expires_in` on this device's clock (the token's `exp`
 * is Warden's clock, which the device's may not match). Single-flight in the instance (one
 * promise) and across instances (the `refresh` lock); inside the lock the stored session is read
 * again, so a tab that waited finds the pair another tab just got and presents nothing: two
 * tabs never present the same refresh token, which Warden would take for reuse once the grace
 * window is over. A result is written only if storage still holds the session it rotated (a
 * sign-out or a new sign-in meanwhile wins).
 *
 * Every write carries a revision (the device's time in ms, and above every revision this
 * instance has seen, so concurrent writes in two tabs order as storage does), and its notice
 * carries the written value: Chromium delivers a `BroadcastChannel` message to another tab
 * before that tab's `localStorage` shows the write (measured: 80 of 200 notices), so a tab
 * reads the session as the newer of storage and the last notice.
 *
 * Only `invalid_token` / `invalid_grant` ends the
 * session; no answer, 5xx, 408 and 429 keep it and are retried with backoff (`Retry-After`
 * honoured), and a still-valid access token is handed out meanwhile.
 */
import type { Coordination, Notice } from "./coordination.ts";
import { isRejectedGrant, isTransient } from "./errors.ts";
import type { Http } from "./http.ts";
import type { ChangeEvent, Clock, PublicUser, Session, SignOutReason, StorageLike, TokenResponse } from "./types.ts";

/** What storage holds for the signed-in session. */
export interface Stored {
  access_token: string;
  refresh_token: string;
  /** Device clock, ms: when the request that got this pair was sent, plus `expires_in`. */
  expires_at: number;
  lifetime_ms: number;
  session_id: string;
  user: PublicUser;
  /** From the access token's claims: its session, its user's secret version, its issue time (s). */
  sid: string;
  ver: number;
  iat: number;
  /** Set when the session came from the OAuth provider (`oauth.handleCallback`): refresh goes to its token endpoint. */
  client_id?: string;
  /** The write's revision (see the module comment). */
  rev?: number;
}

export interface RetryPolicy {
  /** Tries per refresh, the first included. Default 4. */
  attempts?: number;
  /** First delay, doubling, with ±20 % jitter. Default 500 ms. */
  initialMs?: number;
  /** Longest delay (and the most of a `Retry-After` honoured). Default 10 s. */
  maxMs?: number;
}

export interface SessionStoreOptions {
  http: Http;
  storage: StorageLike;
  coordination: Coordination;
  namespace: string;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** Refresh this long before expiry, at most a quarter of the token's lifetime. */
  refreshAheadMs: number;
  retry: RetryPolicy;
}

/** The payload of a JWT, unverified: the client only reads its own token's `sid`, `ver` and `iat`. */
export function claimsOf(jwt: string): { sid?: unknown; ver?: unknown; iat?: unknown } {
  try {
    const b64 = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

export function toStored(r: TokenResponse, sentAt: number, clientId?: string): Stored {
  const c = claimsOf(r.access_token);
  return {
    ...(clientId ? { client_id: clientId } : {}),
    access_token: r.access_token,
    refresh_token: r.refresh_token,
    expires_at: sentAt + r.expires_in * 1000,
    lifetime_ms: r.expires_in * 1000,
    session_id: r.session_id,
    user: r.user,
    sid: typeof c.sid === "string" ? c.sid : r.session_id,
    ver: typeof c.ver === "number" ? c.ver : 0,
    iat: typeof c.iat === "number" ? c.iat : Math.floor(sentAt / 1000),
  };
}

export const publicSession = (s: Stored): Session => ({ user: s.user, session_id: s.session_id, expires_at: s.expires_at });

const PENDING_MS = 30_000;

function revOf(raw: string | null): number {
  if (!raw) return 0;
  try {
    const r = (JSON.parse(raw) as { rev?: unknown }).rev;
    return typeof r === "number" ? r : 0;
  } catch {
    return 0;
  }
}

export class SessionStore {
  readonly #o: SessionStoreOptions;
  readonly #key: string;
  readonly #pendingKey: string;
  #state: Stored | null = null;
  readonly #loaded: Promise<void>;
  #inflight: Promise<Stored | null> | null = null;
  #pending = 0;
  /** The highest revision seen, and the value of the last notice that carried one. */
  #rev = 0;
  #noticed: { raw: string; rev: number } | null = null;
  readonly #listeners = new Set<(e: ChangeEvent) => void>();
  readonly #unsubscribe: () => void;

  constructor(o: SessionStoreOptions) {
    this.#o = o;
    this.#key = `${o.namespace}:session`;
    this.#pendingKey = `${o.namespace}:pending`;
    this.#loaded = this.#read().then((r) => void (this.#state = r.stored));
    this.#unsubscribe = o.coordination.subscribe((n) => void this.#onNotice(n));
  }

  onChange(fn: (e: ChangeEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  /** The session as storage holds it now (and this instance's copy brought up to date). */
  async current(): Promise<Stored | null> {
    await this.#loaded;
    const r = await this.#read();
    this.#sync(r.stored, r.reason);
    return this.#state;
  }

  /** The copy, without a read: for decisions that must not wait. */
  get cached(): Stored | null {
    return this.#state;
  }

  async getAccessToken(): Promise<string | null> {
    const s = await this.current();
    if (!s) return null;
    if (!this.#due(s)) return s.access_token;
    try {
      return (await this.refresh())?.access_token ?? null;
    } catch (e) {
      if (isTransient(e) && s.expires_at > this.#o.clock.now()) return s.access_token;
      throw e;
    }
  }

  /**
   * Refreshes if the stored token is due, or is `rejected` (a resource server answered 401 to
   * it). Joins a refresh already in flight in this instance.
   */
  refresh(rejected?: string): Promise<Stored | null> {
    this.#inflight ??= this.#o.coordination
      .lock("refresh", async () => {
        const cur = await this.current();
        if (!cur || (!this.#due(cur) && cur.access_token !== rejected)) return cur;
        return this.#rotate(cur);
      })
      .finally(() => (this.#inflight = null));
    return this.#inflight;
  }

  /** Stores a token response of a sign-in (`signed_in`) or of this session (`refreshed`: step-up, credential change). */
  async adopt(r: TokenResponse, sentAt: number, clientId?: string): Promise<Session> {
    await this.#loaded;
    const next = toStored(r, sentAt, clientId ?? (this.#state?.session_id === r.session_id ? this.#state.client_id : undefined));
    const raw = await this.#write(next);
    const kind = this.#state?.session_id === next.session_id ? "refreshed" : "signed_in";
    this.#sync(next);
    this.#o.coordination.post({ kind, raw });
    return publicSession(next);
  }

  /**
   * Ends the session locally. With `only`, only if storage still holds a session it matches
   * (the one a revocation or a refused refresh concerned): a newer sign-in is left alone.
   */
  async end(reason: SignOutReason, only?: (s: Stored) => boolean): Promise<void> {
    await this.#loaded;
    const { stored } = await this.#read();
    if (stored && only && !only(stored)) return this.#sync(stored);
    // A tombstone rather than nothing, so every tab that reads it learns why.
    const raw = await this.#write({ signed_out: reason });
    this.#sync(null, reason);
    this.#o.coordination.post({ kind: "signed_out", reason, raw });
  }

  /**
   * Runs a call that changes the user's credentials but keeps this session (`PATCH /me`): Warden
   * pushes `user.revoked` for it, which the live socket must not take for the end of this
   * session. Marked in storage too, for the tab that holds the socket.
   */
  async keepingSession<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    await this.#o.storage.setItem(this.#pendingKey, String(this.#o.clock.now() + PENDING_MS));
    this.#o.coordination.post({ kind: "pending" });
    try {
      return await fn();
    } finally {
      if (--this.#pending === 0) await this.#o.storage.removeItem(this.#pendingKey);
    }
  }

  /** Resolves once no session-keeping call is in flight in any tab (or the mark has expired). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.#pending === 0) {
        const until = Number((await this.#o.storage.getItem(this.#pendingKey)) ?? 0);
        if (!(until > this.#o.clock.now())) return;
      }
      await this.#o.sleep(20);
    }
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #due(s: Stored): boolean {
    const ahead = Math.min(this.#o.refreshAheadMs, s.lifetime_ms / 4);
    return this.#o.clock.now() >= s.expires_at - ahead;
  }

  async #rotate(cur: Stored): Promise<Stored | null> {
    const { attempts = 4, initialMs = 500, maxMs = 10_000 } = this.#o.retry;
    let delay = initialMs;
    for (let attempt = 1; ; attempt++) {
      const sentAt = this.#o.clock.now();
      try {
        const r = cur.client_id ? await this.#oauthRefresh(cur) : await this.#o.http.call<TokenResponse>("POST", "/refresh", { body: { refresh_token: cur.refresh_token } });
        const next = toStored(r, sentAt, cur.client_id);
        const { stored } = await this.#read();
        // Signed out or signed in anew meanwhile: this pair belongs to a session nobody holds any more.
        if (stored?.refresh_token !== cur.refresh_token) return this.current();
        const raw = await this.#write(next);
        this.#sync(next);
        this.#o.coordination.post({ kind: "refreshed", raw });
        return next;
      } catch (e) {
        if (isRejectedGrant(e)) {
          await this.end("refresh_rejected", (s) => s.refresh_token === cur.refresh_token);
          return this.#state;
        }
        if (!isTransient(e) || attempt >= attempts) throw e;
        const hinted = ((e as { retryAfter?: number }).retryAfter ?? 0) * 1000;
        await this.#o.sleep(Math.min(maxMs, Math.max(delay, hinted)) * (0.8 + Math.random() * 0.4));
        delay *= 2;
      }
    }
  }

  /** RFC 6749 section 6, as a public client; the answer has no session or user, which stay the session's. */
  async #oauthRefresh(cur: Stored): Promise<TokenResponse> {
    const form = { grant_type: "refresh_token", refresh_token: cur.refresh_token, client_id: cur.client_id! };
    const a = await this.#o.http.call<Omit<TokenResponse, "session_id" | "user"> & { refresh_token?: string }>("POST", "/oauth/token", { form });
    return { ...a, refresh_token: a.refresh_token ?? cur.refresh_token, session_id: cur.session_id, user: cur.user };
  }

  /** Writes the session key with the next revision; the value written, for the notice. */
  async #write(value: Stored | { signed_out: SignOutReason }): Promise<string> {
    this.#rev = Math.max(this.#rev + 1, revOf(await this.#o.storage.getItem(this.#key)) + 1, Date.now());
    const raw = JSON.stringify({ ...value, rev: this.#rev });
    await this.#o.storage.setItem(this.#key, raw);
    return raw;
  }

  /** The stored session, or why there is none (a tombstone left by `end`): storage, unless the last notice is newer. */
  async #read(): Promise<{ stored: Stored | null; reason?: SignOutReason }> {
    let raw = await this.#o.storage.getItem(this.#key);
    const rev = revOf(raw);
    const n = this.#noticed;
    if (n && n.rev > rev) raw = n.raw;
    this.#rev = Math.max(this.#rev, rev);
    if (!raw) return { stored: null };
    try {
      const s = JSON.parse(raw) as Stored & { signed_out?: SignOutReason };
      if (typeof s?.access_token === "string" && typeof s.refresh_token === "string") return { stored: s };
      return { stored: null, reason: typeof s?.signed_out === "string" ? s.signed_out : undefined };
    } catch {
      return { stored: null };
    }
  }

  async #onNotice(n: Notice): Promise<void> {
    if (n.kind === "pending") return;
    const rev = revOf(n.raw ?? null);
    if (n.raw && rev > (this.#noticed?.rev ?? 0)) {
      this.#noticed = { raw: n.raw, rev };
      this.#rev = Math.max(this.#rev, rev);
    }
    await this.#loaded;
    const r = await this.#read();
    this.#sync(r.stored, r.reason ?? (n.reason as SignOutReason | undefined));
  }

  /** Takes `next` as this instance's copy and tells the listeners what changed, once. */
  #sync(next: Stored | null, reason: SignOutReason = "local"): void {
    const prev = this.#state;
    this.#state = next;
    let e: ChangeEvent | null = null;
    if (prev && !next) e = { type: "signed_out", reason };
    else if (next && (!prev || prev.session_id !== next.session_id)) e = { type: "signed_in", session: publicSession(next) };
    else if (next && prev && prev.access_token !== next.access_token) e = { type: "refreshed", session: publicSession(next) };
    if (!e) return;
    for (const fn of [...this.#listeners]) {
      try {
        fn(e);
      } catch {
        // a listener's bug must not break the client
      }
    }
  }
}
