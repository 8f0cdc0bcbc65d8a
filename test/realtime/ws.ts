/**
 * @module A WebSocket subscriber for tests: opens `GET /v1/{tenant}/events` through the
 * Worker (`SELF.fetch` with `Upgrade: websocket`), queues every message, and lets a test
 * `await next()` (with a timeout) or `drain()` what has already arrived, without sleeping.
 */
import { SELF } from "cloudflare:test";
import { BASE } from "../helpers.ts";

export interface SubscribeOptions {
  /** API key (or the admin token) sent as `Authorization: Bearer`. */
  key?: string;
  /** A user access token, sent as `?access_token=`. */
  token?: string;
  since?: number | string;
  format?: "json" | "set";
  /** Extra query parameters, verbatim. */
  query?: Record<string, string>;
}

export type Message = any;

export interface Subscriber {
  ws: WebSocket;
  /** The next message (JSON parsed; a SET stays a string), or a rejection after `ms`. */
  next(ms?: number): Promise<Message>;
  /** Every message already delivered and not yet taken, in order. */
  drain(): Message[];
  /** Resolves `null` if nothing arrives within `ms` (to assert silence). */
  quiet(ms?: number): Promise<Message | null>;
  /**
   * Sends `ping` and returns every message that arrives before its `pong`. The runtime
   * answers `ping` on the same socket, behind whatever the object had already sent: so a
   * message the object sent before this call is in the result, with no timing involved.
   */
  fence(ms?: number): Promise<Message[]>;
  /** Resolves when the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  close(): void;
}

export function eventsUrl(slug: string, o: SubscribeOptions = {}): string {
  const q = new URLSearchParams(o.query);
  if (o.token) q.set("access_token", o.token);
  if (o.since !== undefined) q.set("since", String(o.since));
  if (o.format) q.set("format", o.format);
  const s = q.toString();
  return `${BASE}/v1/${slug}/events${s ? `?${s}` : ""}`;
}

/** The raw upgrade response (for refusals). */
export function upgrade(slug: string, o: SubscribeOptions = {}, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { Upgrade: "websocket", ...headers };
  if (o.key) h.authorization = `Bearer ${o.key}`;
  return SELF.fetch(eventsUrl(slug, o), { headers: h });
}

/** Wraps an accepted client socket into a queue. */
export function collect(ws: WebSocket): Subscriber {
  const queue: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  let closedState: { code: number; reason: string } | null = null;
  let onClosed!: (c: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  ws.addEventListener("message", (ev) => {
    const raw = typeof ev.data === "string" ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer);
    let m: Message = raw;
    try {
      m = JSON.parse(raw);
    } catch {
      /* a SET, or `pong` */
    }
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  ws.addEventListener("close", (ev) => {
    closedState = { code: ev.code, reason: ev.reason };
    onClosed(closedState);
  });
  const next = (ms = 2000): Promise<Message> => {
    if (queue.length) return Promise.resolve(queue.shift());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no message within ${ms} ms`));
      }, ms);
      const w = (m: Message) => {
        clearTimeout(t);
        resolve(m);
      };
      waiters.push(w);
    });
  };
  return {
    ws,
    next,
    drain: () => queue.splice(0),
    quiet: (ms = 100) => next(ms).catch(() => null),
    fence: async (ms = 2000) => {
      ws.send("ping");
      const before: Message[] = [];
      for (let m = await next(ms); m !== "pong"; m = await next(ms)) before.push(m);
      return before;
    },
    closed,
    isClosed: () => closedState !== null,
    close: () => {
      try {
        ws.close(1000, "done");
      } catch {
        /* already closed */
      }
    },
  };
}

/** Opens a subscriber; fails the test if the upgrade is refused. */
export async function subscribe(slug: string, o: SubscribeOptions = {}): Promise<Subscriber> {
  const res = await upgrade(slug, o);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const sub = collect(ws);
  ws.accept();
  return sub;
}

/** Opens a subscriber and takes its `hello`. */
export async function hello(slug: string, o: SubscribeOptions = {}): Promise<{ sub: Subscriber; hello: Message }> {
  const sub = await subscribe(slug, o);
  const h = await sub.next();
  if (h?.type !== "hello") throw new Error(`expected hello, got ${JSON.stringify(h)}`);
  return { sub, hello: h };
}
