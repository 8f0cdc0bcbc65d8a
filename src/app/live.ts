/**
 * @module Live sign-out. While signed in, one instance of those sharing the storage (elected
 * with the `live` lock: one tab of the origin) holds the user WebSocket `GET /events?ticket=`,
 * with a single-use ticket from `POST /events/ticket` rather than the token in the URL (RFC 6750
 * section 2.3: URLs end up in logs). It ends the shared session the moment an event kills the
 * token it holds, and every other tab learns it from storage and the channel:
 *
 * - `session.revoked` / `session.expired` naming its `sid`;
 * - `user.revoked` / `user.disabled` / `user.deleted` with a `ver` newer than the token's (or,
 *   without `ver`, issued after the token). A `PATCH /me` of this session emits `user.revoked`
 *   too, yet keeps the session with a new pair: while such a call is in flight in any tab
 *   (`SessionStore.keepingSession`), the verdict waits for its answer and is taken against
 *   the token it brought;
 * - `tenant.revoked` (an operator signed every user out) when the token was issued in an
 *   earlier second; one of the event's own second waits for the 4001 that follows if its
 *   session died;
 * - close code 4001 (the socket's credential died), judged the same way: if the stored token
 *   is newer than the one the socket was opened with, it reconnects instead.
 *
 * Close code 4003 means the socket's token expired: it reconnects with a fresh one, never signs
 * out; a refresh while connected renews the socket in-band (`{"type":"renew"}`). After any drop
 * it reconnects with `since` = the last seq seen, so Warden replays what was missed; after a
 * `reset` (too far behind) it refreshes, which tells whether the session still lives.
 * Reconnect delays: from `backoff.initialMs` (250 ms), doubling up to `backoff.maxMs` (30 s),
 * ±20 % jitter, back to the start after a connection that reached `hello`.
 */
import type { Coordination } from "./coordination.ts";
import { isRejectedGrant, isTransient, WardenError } from "./errors.ts";
import type { Http } from "./http.ts";
import { claimsOf, type SessionStore, type Stored } from "./session.ts";
import type { SignOutReason, WebSocketCtor, WebSocketLike } from "./types.ts";

export interface LiveOptions {
  http: Http;
  store: SessionStore;
  coordination: Coordination;
  WebSocket: WebSocketCtor;
  sleep(ms: number): Promise<void>;
  backoff: { initialMs?: number; maxMs?: number };
  /** Heartbeat: `ping` this often, drop after two silent periods. Default 30 s; 0 disables. */
  pingIntervalMs: number;
  onError(e: unknown): void;
}

export type LiveStatus = "off" | "standby" | "connecting" | "open";

interface WireEvent {
  seq: number;
  type: string;
  ts: string;
  sub: string;
  sid?: string;
  ver?: number;
}

type Outcome = "again" | "backoff" | "stop";

const REASONS: Record<string, SignOutReason> = {
  "session.revoked": "session_revoked",
  "session.expired": "session_expired",
  "user.revoked": "user_revoked",
  "user.disabled": "user_disabled",
  "user.deleted": "user_deleted",
  "tenant.revoked": "tenant_revoked",
};

/** Does this user event kill the token `s` holds? */
function killsUser(e: WireEvent, s: Stored): boolean {
  if (e.sub !== s.user.id) return false;
  return e.ver !== undefined ? s.ver < e.ver : s.iat * 1000 <= Date.parse(e.ts);
}

export class Live {
  readonly #o: LiveOptions;
  #abort: AbortController | null = null;
  #ws: WebSocketLike | null = null;
  #cursor: number | null = null;
  #status: LiveStatus = "off";
  readonly #offChange: () => void;

  constructor(o: LiveOptions) {
    this.#o = o;
    // A new access token of the same session moves the socket's expiry (no 4003 while we refresh).
    this.#offChange = o.store.onChange((e) => {
      if (e.type === "signed_out") return this.stop();
      if (e.type === "signed_in") this.stop(); // a socket of the previous session, if any
      this.start();
      const s = o.store.cached;
      if (e.type === "refreshed" && s && this.#ws?.readyState === 1) this.#ws.send(JSON.stringify({ type: "renew", access_token: s.access_token }));
    });
  }

  get status(): LiveStatus {
    return this.#status;
  }

  start(): void {
    if (this.#abort) return;
    const ac = new AbortController();
    this.#abort = ac;
    this.#status = "standby";
    void this.#o.coordination
      .elect("live", ac.signal, () => this.#lead(ac.signal))
      .catch((e) => this.#o.onError(e))
      .finally(() => {
        if (this.#abort === ac) this.#abort = null, (this.#status = "off");
      });
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = null;
    this.#status = "off";
    this.#ws?.close(1000, "signed out");
    this.#ws = null;
  }

  close(): void {
    this.#offChange();
    this.stop();
  }

  async #lead(signal: AbortSignal): Promise<void> {
    const { initialMs = 250, maxMs = 30_000 } = this.#o.backoff;
    let delay = initialMs;
    while (!signal.aborted) {
      this.#status = "connecting";
      const healthy = { value: false };
      let outcome: Outcome;
      try {
        outcome = await this.#connect(signal, healthy);
      } catch (e) {
        this.#o.onError(e);
        outcome = "backoff";
      }
      if (outcome === "stop" || signal.aborted) return;
      if (healthy.value) delay = initialMs;
      if (outcome === "backoff") {
        this.#status = "standby";
        await this.#o.sleep(delay * (0.8 + Math.random() * 0.4));
        delay = Math.min(maxMs, delay * 2);
      }
    }
  }

  /** A ticket, for a token refreshed once if Warden refuses it; null when the session is gone. */
  async #ticket(): Promise<{ ticket: string; token: string } | null> {
    for (let tries = 0; tries < 2; tries++) {
      const token = await this.#o.store.getAccessToken();
      if (!token) return null;
      try {
        const r = await this.#o.http.call<{ ticket: string }>("POST", "/events/ticket", { token });
        return { ticket: r.ticket, token };
      } catch (e) {
        if (!(e instanceof WardenError) || e.code !== "invalid_token" || tries > 0) throw e;
        await this.#o.store.refresh(token);
      }
    }
    return null;
  }

  /** One connection, from the ticket to the close; says what to do next. */
  async #connect(signal: AbortSignal, healthy: { value: boolean }): Promise<Outcome> {
    let t: { ticket: string; token: string } | null;
    try {
      t = await this.#ticket();
    } catch (e) {
      if (isRejectedGrant(e) || isTransient(e)) return (await this.#o.store.current()) ? "backoff" : "stop";
      throw e;
    }
    if (!t || signal.aborted) return "stop";
    const c = claimsOf(t.token);
    const cred = { sid: String(c.sid), ver: Number(c.ver) };
    const url = new URL(`${this.#o.http.tenantUrl}/events`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", t.ticket);
    if (this.#cursor !== null) url.searchParams.set("since", String(this.#cursor));
    const ws = new this.#o.WebSocket(url.toString());
    this.#ws = ws;
    return new Promise<Outcome>((resolve) => {
      let lastHeard = Date.now();
      const every = this.#o.pingIntervalMs;
      const beat = every
        ? setInterval(() => {
            if (Date.now() - lastHeard > 2 * every) return ws.close(4000, "heartbeat lost");
            if (ws.readyState === 1) ws.send("ping");
          }, every)
        : null;
      const onAbort = () => ws.close(1000, "signed out");
      signal.addEventListener("abort", onAbort, { once: true });
      ws.addEventListener("message", (ev: { data: unknown }) => {
        lastHeard = Date.now();
        if (typeof ev.data !== "string" || !ev.data.startsWith("{")) return;
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (m.type === "hello") {
          healthy.value = true;
          this.#status = "open";
          if (this.#cursor === null && typeof m.seq === "number") this.#cursor = m.seq;
        } else if (m.type === "reset" && typeof m.seq === "number") {
          // Too far behind for a replay: what we missed is unknown, so ask Warden about the session itself.
          this.#cursor = m.seq;
          void this.#o.store.refresh(this.#o.store.cached?.access_token).catch((e) => this.#o.onError(e));
        } else if (typeof m.seq === "number" && typeof m.type === "string" && m.type in REASONS) {
          this.#cursor = Math.max(this.#cursor ?? 0, m.seq);
          void this.#judge(m as unknown as WireEvent).catch((e) => this.#o.onError(e));
        } else if (typeof m.seq === "number") {
          this.#cursor = Math.max(this.#cursor ?? 0, m.seq);
        }
      });
      ws.addEventListener("close", (ev: { code: number }) => {
        if (beat) clearInterval(beat);
        signal.removeEventListener("abort", onAbort);
        if (this.#ws === ws) this.#ws = null;
        if (signal.aborted) return resolve("stop");
        if (ev.code === 4003) return resolve("again");
        if (ev.code === 4001) return void this.#credentialDied(cred).then(resolve, () => resolve("backoff"));
        if (ev.code === 4004) return this.#o.onError(new Error("events: tenant not found")), resolve("stop");
        resolve("backoff");
      });
    });
  }

  async #judge(e: WireEvent): Promise<void> {
    const s = this.#o.store.cached ?? (await this.#o.store.current());
    if (!s) return;
    const reason = REASONS[e.type];
    if (e.type === "session.revoked" || e.type === "session.expired") {
      if (e.sid === s.sid) await this.#o.store.end(reason, (x) => x.sid === e.sid);
      return;
    }
    if (e.type === "tenant.revoked") {
      const before = (x: Stored) => x.iat < Math.floor(Date.parse(e.ts) / 1000);
      if (before(s)) await this.#o.store.end(reason, (x) => x.sid === s.sid && before(x));
      return;
    }
    if (!killsUser(e, s)) return;
    // A credential change of this session may be on its way back with a newer token.
    await this.#o.store.settled();
    const now = await this.#o.store.current();
    if (now && killsUser(e, now)) await this.#o.store.end(reason, (x) => x.sid === now.sid && killsUser(e, x));
  }

  /** 4001: the socket's credential is dead; is the session's current token newer than it? */
  async #credentialDied(cred: { sid: string; ver: number }): Promise<Outcome> {
    await this.#o.store.settled();
    const now = await this.#o.store.current();
    if (!now) return "stop";
    if (now.sid !== cred.sid || now.ver > cred.ver) return "again";
    await this.#o.store.end("session_revoked", (x) => x.sid === cred.sid && x.ver <= cred.ver);
    return "stop";
  }
}
