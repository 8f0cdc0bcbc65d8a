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
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import type { Ctx } from "../context.ts";
import { percentile, type Row } from "../stats.ts";
import { http, login, must } from "../warden.ts";

interface Frame {
  op: number;
  payload: Buffer;
}

/** A WebSocket client in a few lines: the upgrade, unmasked server frames, masked client frames. */
function rawSubscriber(url: string, path: string): Promise<{ frames: AsyncGenerator<Frame>; send(op: number, payload: Buffer): void; fin: Promise<number>; socket: Socket }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const queue: Frame[] = [];
  let wake: (() => void) | null = null;
  const fin = new Promise<number>((resolve) => socket.once("end", () => resolve(performance.now())));
  socket.on("error", () => {});
  return new Promise((resolve, reject) => {
    socket.once("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const status = buf.subarray(0, end).toString().split("\r\n")[0];
        if (!status.includes(" 101 ")) return reject(new Error(`subscriber refused: ${status}`));
        buf = buf.subarray(end + 4);
        upgraded = true;
        resolve({
          socket,
          fin,
          frames: (async function* () {
            for (;;) {
              while (queue.length) yield queue.shift()!;
              await new Promise<void>((r) => (wake = r));
            }
          })(),
          send(op, payload) {
            const mask = randomBytes(4);
            const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
            socket.write(Buffer.concat([Buffer.from([0x80 | op, 0x80 | masked.length]), mask, masked]));
          },
        });
      }
      while (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          head = 4;
        }
        if (buf.length < head + len) return;
        queue.push({ op: buf[0] & 0x0f, payload: Buffer.from(buf.subarray(head, head + len)) });
        buf = buf.subarray(head + len);
        wake?.();
      }
    });
  });
}

async function nextClose(frames: AsyncGenerator<Frame>, timeoutMs: number): Promise<{ frame: Frame; at: number } | null> {
  const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
  const read = (async () => {
    for await (const f of frames) if (f.op === 0x8) return { frame: f, at: performance.now() };
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
      sub.send(0x8, Buffer.from([0x03, 0xe8]));
      const fin = await Promise.race([sub.fin, new Promise<null>((r) => setTimeout(() => r(null), WAIT_MS).unref())]);
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
    sub.send(0x8, close.frame.payload.subarray(0, 2));
    const echoed = performance.now();
    const fin = await Promise.race([sub.fin, new Promise<null>((r) => setTimeout(() => r(null), WAIT_MS).unref())]);
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
