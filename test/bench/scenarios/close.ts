/// <reference types="node" />
/**
 * @module How a revoked user subscriber's connection ends, on the wire. A raw TCP client
 * (no WebSocket library: libraries differ in who closes TCP first) subscribes as a user,
 * the session is logged out, and the client answers the server's Close frame (4001) with its
 * own, as RFC 6455 section 5.5.1 asks, then waits for the server to close TCP, which section
 * 7.1.1 says the server should do at once. Recorded per round: revocation → Close frame, and
 * Close echo → the server's FIN. For comparison, the same client also closes a subscriber
 * first (a client-initiated close: the runtime answers the Close and closes TCP).
 *
 * What the rows showed (test/bench/README.md): the FIN after a server-initiated close comes
 * only when workerd drops the socket's JavaScript object, ~10 s after the tenant object falls
 * idle. Measured against a minimal Durable Object, the same happens to any hibernatable
 * WebSocket closed from a fetch, RPC or alarm handler, and not when it is closed from its
 * own `webSocketMessage` handler: workerd's hibernation layer, not partyserver or Warden.
 */
import type { Ctx } from "../context.ts";
import { OP, rawWebSocket, type Frame, type RawSocket } from "../raw-ws.ts";
import { percentile, type Row } from "../stats.ts";
import { http, login, must } from "../warden.ts";

/** A raw subscriber whose frames are read in order from an async generator. */
async function rawSubscriber(url: string, path: string): Promise<RawSocket & { frames: AsyncGenerator<Frame> }> {
  const queue: Frame[] = [];
  let wake: (() => void) | null = null;
  const s = await rawWebSocket(url, path, {}, (f) => (queue.push(f), wake?.()));
  return {
    ...s,
    frames: (async function* () {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        await new Promise<void>((r) => (wake = r));
      }
    })(),
  };
}

/** When the server closed TCP, or null if it has not within `ms`. */
const finWithin = (s: RawSocket, ms: number): Promise<number | null> => Promise.race([s.fin, new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]);

async function nextClose(frames: AsyncGenerator<Frame>, timeoutMs: number): Promise<{ frame: Frame; at: number } | null> {
  const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
  const read = (async () => {
    for await (const f of frames) if (f.op === OP.close) return { frame: f, at: performance.now() };
    return null;
  })();
  return Promise.race([read, timer]);
}

export async function closeHandshake(c: Ctx, slug: string, usernames: string[]): Promise<Row[]> {
  const WAIT_MS = 30_000;
  const revokeToClose: number[] = [];
  const echoToFin: number[] = [];
  const clientFirst: number[] = [];
  const codes = new Set<number>();
  let open = 0;
  for (const [i, user] of usernames.entries()) {
    const t = await login(c.w.url, slug, user);
    const { ticket } = await must(http(c.w.url, "POST", `/v1/${slug}/events/ticket`, { token: t.access_token }), 200, "ticket");
    const sub = await rawSubscriber(c.w.url, `/v1/${slug}/events?ticket=${ticket}`);
    if (i % 2 === 1) {
      // Client-initiated: the client closes first and times the server's FIN after its Close.
      const sent = performance.now();
      sub.send(OP.close, Buffer.from([0x03, 0xe8]));
      const fin = await finWithin(sub, WAIT_MS);
      if (fin === null) open++;
      else clientFirst.push(fin - sent);
      sub.socket.destroy();
      continue;
    }
    const sent = performance.now();
    await must(http(c.w.url, "POST", `/v1/${slug}/logout`, { token: t.access_token }), 204, "logout");
    const close = await nextClose(sub.frames, 5_000);
    if (!close) throw new Error("no Close frame after the logout");
    revokeToClose.push(close.at - sent);
    codes.add(close.frame.payload.readUInt16BE(0));
    // RFC 6455 section 5.5.1: answer with a Close frame (the same code), then wait for the FIN.
    sub.send(OP.close, close.frame.payload.subarray(0, 2));
    const echoed = performance.now();
    const fin = await finWithin(sub, WAIT_MS);
    if (fin === null) open++;
    else echoToFin.push(fin - echoed);
    sub.socket.destroy();
  }
  const ms = (v: number | null) => (v === null ? "—" : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(1)} ms`);
  const stillOpen = open ? `; ${open} still open after ${WAIT_MS / 1000} s` : "";
  return [
    {
      scenario: "revoked subscriber: revocation → Close frame", system: "warden", rps: null,
      p50: percentile(revokeToClose, 50), p99: percentile(revokeToClose, 99), rss: null,
      note: `${revokeToClose.length} logouts, raw TCP client; close code ${[...codes].join(", ")}`,
    },
    {
      scenario: "revoked subscriber: Close echo → server's TCP FIN", system: "warden", rps: null,
      p50: percentile(echoToFin, 50), p99: percentile(echoToFin, 99), rss: null,
      target: "at once (RFC 6455 7.1.1)", met: echoToFin.length > 0 && !open && percentile(echoToFin, 99)! < 100,
      note: `min ${ms(Math.min(...echoToFin))}, max ${ms(Math.max(...echoToFin))}${stillOpen}; workerd's hibernation layer (see test/bench/README.md)`,
    },
    {
      scenario: "client-initiated close → server's TCP FIN", system: "warden", rps: null,
      p50: percentile(clientFirst, 50), p99: percentile(clientFirst, 99), rss: null,
      note: `${clientFirst.length} closes; the runtime answers the Close frame itself`,
    },
  ];
}
