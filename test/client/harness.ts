/**
 * @module Test harness for the client library: a verifier wired to the real Worker in
 * workerd (`fetch` is `SELF.fetch`, and the subscriber socket is opened by a `SELF.fetch`
 * upgrade, as in a Worker), recording every socket it opens and every request it sends.
 */
import { SELF } from "cloudflare:test";
import { clock } from "../../src/clock.ts";
import { createVerifier, defaultConnect, type Verifier, type VerifierOptions, type WebSocketLike } from "../../src/client/index.ts";
import { BASE } from "../helpers.ts";

export interface Harness {
  v: Verifier;
  sockets: WebSocketLike[];
  urls: string[];
  requests: string[];
  /** Makes the next connection attempts fail (a network outage) until called with false. */
  outage(on: boolean): void;
  /**
   * Resolves once every message already sent to the verifier's current socket has been
   * handled: sends `ping` and waits for the runtime's `pong`, which is queued behind them.
   */
  fence(): Promise<void>;
}

export function harness(slug: string, apiKey: string, o: Partial<VerifierOptions> = {}, start: { down?: boolean } = {}): Harness {
  const sockets: WebSocketLike[] = [];
  const urls: string[] = [];
  const requests: string[] = [];
  let down = start.down ?? false;
  const fetchFn = (input: string, init?: RequestInit) => {
    requests.push(`${init?.method ?? "GET"} ${new URL(input).pathname}`);
    return SELF.fetch(input, init);
  };
  const open = defaultConnect({ fetch: (input, init) => SELF.fetch(input, init) });
  const v = createVerifier({
    baseUrl: BASE,
    tenant: slug,
    apiKey,
    fetch: fetchFn,
    clock,
    backoff: { initialMs: 5, maxMs: 20 },
    connect: async (url, headers) => {
      urls.push(url);
      if (down) throw new Error("network down");
      const ws = await open(url, headers);
      sockets.push(ws);
      return ws;
    },
    ...o,
  });
  return {
    v,
    sockets,
    urls,
    requests,
    outage: (on) => void (down = on),
    fence: () =>
      new Promise<void>((resolve, reject) => {
        const ws = sockets[sockets.length - 1];
        const t = setTimeout(() => reject(new Error("no pong")), 2000);
        ws.addEventListener("message", (ev) => {
          if (ev.data === "pong") clearTimeout(t), resolve();
        });
        ws.send("ping");
      }),
  };
}

/** Polls `cond` (no fixed sleeps): for state that changes on a reconnect timer. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
