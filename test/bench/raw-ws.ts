/// <reference types="node" />
/**
 * @module A WebSocket client in a few lines, for the bench's subscribers: the upgrade,
 * unmasked server frames, masked client frames, pongs. No library, for two reasons. Libraries
 * differ in who closes TCP first (the `close` rows time the server's FIN). And a library's
 * per-message work runs in the turn that reads the socket: with 1,000 subscribers in this one
 * process, the last one's frame waited for the parsing of the 999 before it, so the fan-out's
 * p99 measured the client. Here a frame is timed when the bytes carrying it are read, and the
 * caller decides when to parse it.
 *
 * Server frames are whole messages (workerd does not fragment what it sends); a fragment is
 * passed on as it is, and the caller's check of the payload fails.
 */
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";

export interface Frame {
  op: number;
  payload: Buffer;
}

export interface RawSocket {
  socket: Socket;
  /** The time (`performance.now()`) the server closed TCP. */
  fin: Promise<number>;
  send(op: number, payload: Buffer): void;
}

export const OP = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

/**
 * Opens `path` on `url`'s server. Resolves once the server answers 101; every frame after that
 * reaches `onFrame` with the time its bytes were read. Rejects on any other answer.
 */
export function rawWebSocket(url: string, path: string, headers: Record<string, string>, onFrame: (f: Frame, at: number) => void): Promise<RawSocket> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const fin = new Promise<number>((resolve) => socket.once("end", () => resolve(performance.now())));
  const send = (op: number, payload: Buffer) => {
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    socket.write(Buffer.concat([Buffer.from([0x80 | op, 0x80 | masked.length]), mask, masked]));
  };
  return new Promise((resolve, reject) => {
    socket.on("error", reject);
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.once("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`));
    socket.on("data", (d: Buffer) => {
      const at = performance.now();
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const status = buf.subarray(0, end).toString().split("\r\n")[0];
        if (!status.includes(" 101 ")) return socket.destroy(), reject(new Error(`subscriber refused: ${status}`));
        buf = buf.subarray(end + 4);
        upgraded = true;
        socket.removeListener("error", reject);
        socket.on("error", () => {});
        resolve({ socket, fin, send });
      }
      while (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          head = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          head = 10;
        }
        if (buf.length < head + len) return;
        const f = { op: buf[0] & 0x0f, payload: Buffer.from(buf.subarray(head, head + len)) };
        buf = buf.subarray(head + len);
        if (f.op === OP.ping) send(OP.pong, f.payload);
        onFrame(f, at);
      }
    });
  });
}

/** Closes from the client's side (code 1000), which the runtime answers at once; destroys the socket after `graceMs` either way. */
export async function closeRaw(s: RawSocket, graceMs = 2_000): Promise<void> {
  if (s.socket.destroyed) return;
  s.send(OP.close, Buffer.from([0x03, 0xe8]));
  await Promise.race([s.fin, new Promise((r) => setTimeout(r, graceMs).unref())]);
  s.socket.destroy();
}
