/**
 * @module One service subscriber to `GET /v1/{tenant}/events` that stays
 * open: it reconnects with exponential backoff and resumes with `?since={last seq}`, so the
 * server replays what it missed, in order, before live events. It is "live" once the replay
 * has caught up with the `hello` seq; until then, and whenever it is down, its owner must
 * not trust its own revocation state alone. A heartbeat (`ping`, answered `pong` by the
 * server's runtime without waking the tenant object) detects a dead connection.
 */
import type { Connect, Hello, WardenEvent, WebSocketLike } from "./types.ts";

export interface SubscriberOptions {
  /** `{baseUrl}/v1/{tenant}/events`, http(s). */
  url: string;
  apiKey: string;
  connect: Connect;
  /** Every event after the cursor, in seq order, once. */
  onEvent(e: WardenEvent): void;
  /** The server could not replay from our cursor: events before `serverTime` (ms) may be missing. */
  onReset(serverTime: number): void;
  /** Live (caught up) or not. */
  onLive(live: boolean): void;
  onError?(e: unknown): void;
  /**
   * Reconnect delays: from `initialMs`, doubling, up to `maxMs`, each times a random 0.5–1.
   * Defaults 250 ms and 5 s: back within 5 s of Warden's return, at one upgrade attempt per
   * 2.5–5 s while it is down.
   */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Heartbeat period; the connection is dropped after two periods of silence. Default 30 s; 0 disables. */
  pingIntervalMs?: number;
  /** First connection's cursor. Default 0: replay the whole retained log. */
  since?: number;
}

/** The server refused the upgrade (bad API key, missing scope, unknown tenant). */
export class SubscribeRefusedError extends Error {
  readonly code = "subscribe_refused";
  /** The HTTP status of the refusal (401, 403, 404), or 0 when the socket API does not expose it. */
  readonly status: number;
  constructor(status: number, body: string) {
    super(`events upgrade refused: ${status} ${body.slice(0, 200)}`);
    this.status = status;
  }
}

/** The default socket factory: Workers open it with `fetch` (the only way to send headers), Node 24 with `new WebSocket(url, { headers })`. */
export function defaultConnect(o: { fetch?: (input: string, init?: RequestInit) => Promise<Response>; WebSocket?: new (url: string, init: { headers: Record<string, string> }) => WebSocketLike } = {}): Connect {
  return async (url, headers) => {
    const Ctor = o.WebSocket ?? (typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair === "function" ? undefined : (globalThis as unknown as { WebSocket?: typeof o.WebSocket }).WebSocket);
    if (!Ctor) {
      const fetchFn = o.fetch ?? ((input, init) => fetch(input, init));
      const res = await fetchFn(url, { headers: { ...headers, Upgrade: "websocket" } });
      const ws = (res as Response & { webSocket?: WebSocketLike | null }).webSocket;
      if (res.status !== 101 || !ws) throw new SubscribeRefusedError(res.status, await res.text().catch(() => ""));
      return ws;
    }
    const ws = new Ctor(url.replace(/^http/, "ws"), { headers });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      // WHATWG sockets do not expose the refusal's status
      ws.addEventListener("error", () => reject(new SubscribeRefusedError(0, "connection failed")), { once: true });
    });
    return ws;
  };
}

export class Subscriber {
  readonly #o: SubscriberOptions;
  #ws: WebSocketLike | null = null;
  #cursor: number;
  #helloSeq: number | null = null;
  #live = false;
  #closed = false;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #lastHeard = 0;
  /** Warden's clock at the last `hello`, in ms. */
  #serverTime = 0;
  #everLive = false;
  #firstFailure: ((e: unknown) => void) | null = null;
  /** Resolves when first live; rejects if the very first attempt fails (it keeps retrying). */
  readonly ready: Promise<void>;
  #resolveReady!: () => void;

  constructor(o: SubscriberOptions) {
    this.#o = o;
    this.#cursor = o.since ?? 0;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#firstFailure = reject;
    });
    this.ready.catch(() => {}); // the owner may never look
  }

  get live(): boolean {
    return this.#live;
  }

  get cursor(): number {
    return this.#cursor;
  }

  start(): void {
    void this.#open();
  }

  close(): void {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#stopHeartbeat();
    this.#setLive(false);
    try {
      this.#ws?.close(1000, "closed");
    } catch {
      /* already closed */
    }
    this.#ws = null;
  }

  async #open(): Promise<void> {
    if (this.#closed) return;
    const url = `${this.#o.url}?since=${this.#cursor}`;
    let ws: WebSocketLike;
    try {
      ws = await this.#o.connect(url, { Authorization: `Bearer ${this.#o.apiKey}` });
    } catch (e) {
      this.#o.onError?.(e);
      // The first failure rejects `ready` (a refused key, an unknown tenant, Warden down; a
      // WHATWG socket cannot tell them apart). Retrying goes on regardless.
      this.#firstFailure?.(e);
      this.#firstFailure = null;
      return this.#scheduleReconnect();
    }
    this.#firstFailure = null;
    if (this.#closed) return ws.close(1000, "closed");
    this.#ws = ws;
    this.#helloSeq = null;
    this.#lastHeard = Date.now();
    ws.addEventListener("message", (ev) => this.#onMessage(ws, ev.data));
    ws.addEventListener("close", () => this.#onDrop(ws));
    ws.addEventListener("error", () => this.#onDrop(ws));
    ws.accept?.();
    this.#startHeartbeat(ws);
  }

  #onMessage(ws: WebSocketLike, data: unknown): void {
    if (ws !== this.#ws) return;
    this.#lastHeard = Date.now();
    const text = typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer);
    if (text === "pong") return;
    let m: (Partial<WardenEvent> & Partial<Hello> & { type?: string }) | null;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (!m || typeof m !== "object") return;
    if (m.type === "hello" && typeof m.seq === "number") {
      this.#helloSeq = m.seq;
      this.#serverTime = Date.parse(m.server_time ?? "") || Date.now();
      if (this.#cursor >= m.seq) this.#caughtUp();
      return;
    }
    if (m.type === "reset") {
      // Nothing to replay from our cursor: what happened before now is unknown; go on from here.
      this.#o.onReset(this.#serverTime);
      this.#cursor = typeof m.seq === "number" ? m.seq : (this.#helloSeq ?? this.#cursor);
      this.#caughtUp();
      return;
    }
    if (typeof m.seq !== "number" || m.seq <= this.#cursor) return; // not an event, or seen already
    this.#cursor = m.seq;
    this.#o.onEvent(m as WardenEvent);
    if (!this.#live && this.#helloSeq !== null && this.#cursor >= this.#helloSeq) this.#caughtUp();
  }

  #caughtUp(): void {
    this.#attempt = 0;
    this.#setLive(true);
    if (!this.#everLive) {
      this.#everLive = true;
      this.#resolveReady();
    }
  }

  #onDrop(ws: WebSocketLike): void {
    if (ws !== this.#ws) return;
    this.#ws = null;
    this.#stopHeartbeat();
    this.#setLive(false);
    try {
      ws.close(1000, "dropped");
    } catch {
      /* already closed */
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry) return;
    const initial = this.#o.backoff?.initialMs ?? 250;
    const max = this.#o.backoff?.maxMs ?? 5_000;
    const delay = Math.min(max, initial * 2 ** this.#attempt++) * (0.5 + Math.random() / 2);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#open();
    }, delay);
  }

  #setLive(live: boolean): void {
    if (this.#live === live) return;
    this.#live = live;
    this.#o.onLive(live);
  }

  #startHeartbeat(ws: WebSocketLike): void {
    const every = this.#o.pingIntervalMs ?? 30_000;
    if (!every) return;
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * every) return this.#onDrop(ws);
      try {
        ws.send("ping");
      } catch {
        this.#onDrop(ws);
      }
    }, every);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}
