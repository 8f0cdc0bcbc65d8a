/// <reference types="node" />
/**
 * @module `events <tenant>`: a service subscriber on the tenant's revocation stream,
 * authenticated with the admin token. It resumes with `since` = the last
 * seq it saw after every drop, so nothing is missed or repeated, and pings to notice dead
 * connections. `ws` is used because Node's global WebSocket cannot send an Authorization
 * header.
 */
import WebSocket from "ws";
import type { IncomingMessage } from "node:http";
import { intOption, type Command, type Context } from "../command.ts";
import { ApiError, CliError } from "../errors.ts";
import { seg } from "../http.ts";

const PING_EVERY_MS = 15_000;
/** No message (not even `pong`) for this long: the connection is dead. */
const DEAD_AFTER_MS = 45_000;
const MAX_BACKOFF_MS = 30_000;

interface StreamMessage {
  type?: string;
  seq?: number;
  ts?: string | number;
  tenant?: string;
  sub?: string;
  sid?: string;
  ver?: number;
  reason?: string;
  server_time?: string | number;
}

function time(ts: unknown): string {
  if (typeof ts === "number") return new Date(ts < 1e12 ? ts * 1000 : ts).toISOString();
  if (typeof ts === "string") return ts;
  return new Date().toISOString();
}

export function eventLine(message: StreamMessage): string {
  const parts = [time(message.ts), `#${message.seq ?? "-"}`, message.type ?? "?"];
  if (message.sub) parts.push(`sub=${message.sub}`);
  if (message.sid) parts.push(`sid=${message.sid}`);
  if (message.ver !== undefined) parts.push(`ver=${message.ver}`);
  if (message.reason) parts.push(`reason=${message.reason}`);
  return parts.join("  ");
}

export function eventsUrl(base: string, tenant: string, since: number | undefined): string {
  const url = new URL(`${base}/v1/${seg(tenant)}/events`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (since !== undefined) url.searchParams.set("since", String(since));
  return url.toString();
}

/** Close codes after which reconnecting would only fail again. */
function isFinal(code: number): boolean {
  return code === 1008 || (code >= 4000 && code <= 4999);
}

function subscribe(ctx: Context, tenant: string, initialSince: number | undefined): Promise<void> {
  let lastSeq = initialSince;
  let backoff = 500;
  let stopping = false;
  let everOpened = false;
  let socket: WebSocket | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;

  return new Promise<void>((resolve, reject) => {
    const stop = () => {
      stopping = true;
      clearTimeout(reconnectTimer);
      socket?.close(1000);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const fail = (error: Error) => {
      stopping = true;
      clearTimeout(reconnectTimer);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      socket?.terminate();
      reject(error);
    };

    const connect = () => {
      const url = eventsUrl(ctx.config.url, tenant, lastSeq);
      const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${ctx.config.token}` } });
      socket = ws;
      let lastMessageAt = Date.now();
      let finalClose = false;
      let lastError: Error | undefined;
      let helloSeq: number | undefined;
      const keepalive = setInterval(() => {
        if (Date.now() - lastMessageAt > DEAD_AFTER_MS) ws.terminate();
        else if (ws.readyState === WebSocket.OPEN) ws.send("ping");
      }, PING_EVERY_MS);

      ws.on("unexpected-response", (_request, response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          const error = upgradeError(status, Buffer.concat(chunks).toString("utf8"));
          if (status >= 400 && status < 500 && status !== 429) {
            finalClose = true;
            clearInterval(keepalive);
            fail(error);
          } else {
            lastError = error;
          }
          ws.terminate();
        });
      });

      ws.on("message", (data, isBinary) => {
        lastMessageAt = Date.now();
        if (isBinary) return;
        const text = data.toString();
        if (text === "pong") return;
        let message: StreamMessage;
        try {
          message = JSON.parse(text) as StreamMessage;
        } catch {
          ctx.err(`events: ignoring a message that is not JSON: ${text.slice(0, 100)}`);
          return;
        }
        if (message.type === "hello") {
          backoff = 500;
          if (typeof message.seq === "number") helloSeq = message.seq;
          if (lastSeq === undefined) lastSeq = helloSeq;
          if (ctx.json) ctx.out(JSON.stringify(message));
          else ctx.err(`events: connected to ${message.tenant ?? tenant} at seq ${message.seq ?? "?"}`);
          return;
        }
        if (message.type === "reset") {
          if (ctx.json) ctx.out(JSON.stringify(message));
          else ctx.err(`events: seq ${lastSeq} is older than the retained log; some events were missed (reset)`);
          // The server goes on from its current seq; resuming from the old one would only reset again.
          if (helloSeq !== undefined) lastSeq = helloSeq;
          return;
        }
        if (typeof message.seq === "number") lastSeq = Math.max(lastSeq ?? 0, message.seq);
        ctx.out(ctx.json ? JSON.stringify(message) : eventLine(message));
      });

      ws.on("open", () => {
        everOpened = true;
      });

      ws.on("error", (error) => {
        // The close event follows and decides whether to retry.
        lastError = error;
      });

      ws.on("close", (code, reason) => {
        clearInterval(keepalive);
        if (stopping || finalClose) return;
        if (!everOpened) {
          // Never connected at all: a server error, a wrong URL or a server that is not running.
          fail(lastError instanceof CliError ? lastError : new CliError(`cannot reach ${ctx.config.url}: ${lastError?.message ?? `closed with ${code}`}`));
          return;
        }
        if (isFinal(code)) {
          fail(new CliError(`the server closed the event stream (${code}${reason.length ? ` ${reason.toString()}` : ""})`));
          return;
        }
        const delay = backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        ctx.err(`events: disconnected (${lastError ? lastError.message : code}); reconnecting in ${delay / 1000} s${lastSeq === undefined ? "" : ` from seq ${lastSeq}`}`);
        reconnectTimer = setTimeout(() => {
          if (!stopping) connect();
        }, delay);
      });
    };
    connect();
  });
}

function upgradeError(status: number, body: string): CliError {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (parsed.error?.code) return new ApiError(status, parsed.error.code, parsed.error.message ?? "");
  } catch {
    // not the error envelope
  }
  return new CliError(`the server refused the WebSocket upgrade with HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}`);
}

export const eventCommands: Command[] = [
  {
    path: ["events"],
    usage: "<tenant> [--since <seq>]",
    summary: "Stream a tenant's revocation events until Ctrl-C.",
    details:
      "WebSocket GET /v1/{tenant}/events?since=N as a service subscriber (the admin token). Prints a line per\n" +
      "event (time, seq, type, sub, sid, reason), or every message as one JSON line with --json. Reconnects\n" +
      "after a drop, resuming after the last seq seen.",
    options: { since: { type: "string", value: "<seq>", description: "first replay every event after this seq" } },
    positionals: [1, 1],
    async run(ctx, { args: [tenant], opts }) {
      await subscribe(ctx, tenant, intOption(opts, "since", 0, Number.MAX_SAFE_INTEGER));
    },
  },
];
