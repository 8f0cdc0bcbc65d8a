/**
 * @module Revocation subscribers over partyserver WebSockets with
 * hibernation. Credentials are checked before the upgrade; a refused one gets the error model's
 * body and nothing is stored. Connections are tagged (`service`, `user:{id}`, `sid:{sid}`,
 * `key:{id}`) so a broadcast reaches only the sockets it concerns.
 *
 * Ordering: a socket is registered (and so reachable by a broadcast) a moment before its
 * `hello` and replay are sent. Until then it is "replaying": broadcasts park its events in
 * an in-memory buffer that `onConnect` flushes after the replay, dropping what the replay
 * already covered, so the subscriber sees `hello`, the replay, then live events, with no gap
 * and no duplicate. Security Event Tokens are signed (async) and sent through one chain per
 * object, so they too leave in commit order.
 */
import type { Connection } from "partyserver";
import { clock, iso } from "../../../src/clock.ts";
import { AuthError, type ErrorCode } from "../../../src/errors.ts";
import type { TenantObject } from "../../tenant.ts";
import { checkApiKey } from "../api-keys.ts";
import type { EventRecord, TenantCtx } from "../context.ts";
import { eventsAfter, latestSeq, oldestSeq } from "../events.ts";
import { signSet } from "../set.ts";
import { audienceOf, checkLive } from "../tokens.ts";
import { eventsQuery } from "../../../schema/requests.ts";
import { credentialLive, redeemTicket } from "./subscriber-credentials.ts";

/** Set by the router after it has checked the ADMIN_TOKEN (stripped from client requests). */
export const ADMIN_HEADER = "x-warden-admin";
const IDENTITY_HEADER = "x-warden-subscriber";
export const CLOSE_REVOKED = 4001;
/** A subscriber further behind than this gets `reset` rather than a replay that would stall the object. */
export const REPLAY_MAX = 10_000;

export interface Identity {
  kind: "service" | "user";
  keyId?: string;
  sub?: string;
  sid?: string;
  ver?: number;
  /** A user subscriber's access-token expiry, ms (see subscriber-credentials.ts). */
  exp?: number;
}

/** Kept in the connection's attachment, so it survives hibernation. */
export interface ConnState {
  kind: "service" | "user";
  sub?: string;
  sid?: string;
  format: "json" | "set";
  /** A user subscriber is closed with 4003 at this time (ms) unless it renews. */
  exp?: number;
}

/** Per object: connection id → events broadcast while its hello and replay were being prepared. */
const replaying = new WeakMap<TenantObject, Map<string, EventRecord[]>>();
/** Per object: the tail of the chain that sends Security Event Tokens in commit order. */
const setChain = new WeakMap<TenantObject, Promise<void>>();

function buffersOf(o: TenantObject): Map<string, EventRecord[]> {
  let m = replaying.get(o);
  if (!m) replaying.set(o, (m = new Map()));
  return m;
}

function refuse(code: ErrorCode, message?: string): Response {
  const e = new AuthError(code, message);
  return Response.json(e.toBody(), { status: e.status, headers: { "cache-control": "no-store" } });
}

/**
 * Runs before partyserver sees the upgrade. Returns a refusal, or the request with the
 * verified identity attached for `tags` and `onConnect`.
 */
export async function admit(o: TenantObject, request: Request): Promise<Response | Request> {
  const b = await o.begin();
  if (!b.ok) return refuse("tenant_not_found");
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return refuse("invalid_request", "Expected a WebSocket upgrade.");
  const ctx = b.value;
  const url = new URL(request.url);
  // The first value of each parameter, as `searchParams.get` reads it.
  const q = eventsQuery.safeParse(Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.get(k)])));
  if (!q.success) return refuse("invalid_request", q.error.issues[0].message);
  let id: Identity;
  const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  const { access_token: accessToken, ticket } = q.data;
  if (request.headers.get(ADMIN_HEADER) === "1") {
    id = { kind: "service", keyId: "admin" };
  } else if (bearer) {
    const k = checkApiKey(ctx.sql, bearer, "subscribe", ctx.now);
    if (!k.ok) return k.reason === "scope" ? refuse("forbidden", "The API key lacks the subscribe scope.") : refuse("invalid_token", "Invalid API key.");
    id = { kind: "service", keyId: k.id };
  } else if (ticket !== undefined) {
    const redeemed = o.tx(ctx, () => redeemTicket(ctx, ticket));
    if (!redeemed) return refuse("invalid_token", "Invalid, used or expired ticket.");
    id = redeemed;
  } else if (accessToken) {
    const claims = await o.verifyAccess(ctx, accessToken);
    const live = claims ? checkLive({ ...ctx, now: clock.now() }, claims) : null;
    if (!claims || !live?.ok) return refuse("invalid_token");
    id = { kind: "user", sub: claims.sub, sid: claims.sid, ver: claims.ver, exp: claims.exp * 1000 };
  } else {
    return refuse("unauthorized", "Send an API key with the subscribe scope, ?ticket= or ?access_token=.");
  }
  // partyserver takes the connection id from `?_pk=` and its props from `x-partykit-props`:
  // neither may come from a client (an id of `service` would be the `service` tag, and bad
  // props would answer with a stack trace).
  url.searchParams.delete("_pk");
  // The credential has done its work: nothing after this point needs to see it.
  url.searchParams.delete("access_token");
  url.searchParams.delete("ticket");
  const headers = new Headers(request.headers);
  headers.delete(ADMIN_HEADER);
  headers.delete("x-partykit-props");
  headers.set(IDENTITY_HEADER, JSON.stringify(id));
  return new Request(url, { method: request.method, headers });
}

function identityOf(request: Request): Identity {
  return JSON.parse(request.headers.get(IDENTITY_HEADER)!);
}

export function tags(request: Request): string[] {
  const id = identityOf(request);
  return id.kind === "service" ? ["service", `key:${id.keyId}`] : ["user", `user:${id.sub}`, `sid:${id.sid}`];
}

/**
 * `hello`, then the replay after `since`, then whatever was broadcast meanwhile (parked by
 * `broadcast` while this connection is in `replaying`), then live events.
 */
export async function onConnect(o: TenantObject, conn: Connection, request: Request): Promise<void> {
  const id = identityOf(request);
  const url = new URL(request.url);
  const state: ConnState = { kind: id.kind, sub: id.sub, sid: id.sid, format: url.searchParams.get("format") === "set" ? "set" : "json", exp: id.exp };
  conn.setState(state);
  const buffers = buffersOf(o);
  const parked: EventRecord[] = [];
  buffers.set(conn.id, parked);
  try {
    const b = await o.begin();
    if (!b.ok) return conn.close(4004, "tenant not found");
    const ctx = b.value;
    // Synchronous from here to the sends of hello and reset: the log position and the replay are one snapshot.
    const seq = latestSeq(ctx.sql);
    let batch: EventRecord[] = [];
    let reset = false;
    const sinceParam = url.searchParams.get("since");
    if (sinceParam !== null) {
      const since = Number(sinceParam);
      const oldest = oldestSeq(ctx.sql);
      const rows = since > seq || (oldest !== null && since < oldest - 1) ? null : eventsAfter(ctx.sql, ctx.slug, since, REPLAY_MAX + 1);
      if (!rows || rows.length > REPLAY_MAX) reset = true;
      else batch = rows.filter((e) => concerns(state, e));
    }
    const dead = id.kind === "user" && !credentialLive(ctx, id);
    conn.send(JSON.stringify({ type: "hello", tenant: ctx.slug, seq, server_time: iso(clock.now()) }));
    if (reset) conn.send(JSON.stringify({ type: "reset", seq }));
    const audience = audienceOf(ctx.slug, ctx.settings);
    let last = seq;
    // A session live at the snapshot outlived every `tenant.revoked` the snapshot replays (it
    // began after them), so those do not close it; one parked since came after the session.
    let snapshot = true;
    for (;;) {
      // (a signing failure must not throw: partyserver would send the stack to the client)
      const msgs = state.format === "set" ? await Promise.all(batch.map((e) => signSet(o.ring, e, ctx.issuer, audience).catch(() => null))) : batch.map((e) => JSON.stringify(e));
      for (let i = 0; i < batch.length; i++) if (!deliver(conn, state, batch[i], msgs[i], snapshot)) return;
      snapshot = false;
      // Events broadcast while we were busy, minus those the snapshot already covered.
      batch = parked.splice(0).filter((e) => e.seq > last && concerns(state, e));
      if (!batch.length) break;
      last = batch[batch.length - 1].seq;
    }
    if (dead) return conn.close(CLOSE_REVOKED, "revoked");
  } finally {
    // Reached synchronously after the last check of `parked`: nothing can be parked and lost.
    buffers.delete(conn.id);
  }
  // The socket closes with 4003 when its access token expires (subscriber-credentials.ts).
  if (state.exp !== undefined) await o.armAlarm(state.exp);
}

function concerns(s: ConnState, e: EventRecord): boolean {
  return s.kind === "service" || e.type === "tenant.revoked" || e.sub === s.sub;
}

/** Does this event end the subscriber's own credential (its session, every token of its user, or of every user)? */
function endsSubscriber(s: ConnState, e: EventRecord, replayed: boolean): boolean {
  if (s.kind !== "user") return false;
  if (e.type === "tenant.revoked") return !replayed;
  if (e.sub !== s.sub) return false;
  if (e.type === "session.revoked" || e.type === "session.expired") return e.sid === s.sid;
  return e.type === "user.revoked" || e.type === "user.disabled" || e.type === "user.deleted";
}

/** Sends one event; closes with 4001 after it when it ends the subscriber. False once the socket is closed. */
function deliver(c: Connection, s: ConnState, e: EventRecord, msg: string | null, replayed = false): boolean {
  try {
    // A SET that could not be signed would be a silent gap: close instead, the client resumes with `since`.
    if (msg === null) return c.close(1011, "could not sign event"), false;
    c.send(msg);
    if (endsSubscriber(s, e, replayed)) return c.close(CLOSE_REVOKED, e.type), false;
  } catch {
    // a socket closing under us is not the broadcaster's problem
  }
  return true;
}

/**
 * Sends committed events to the sockets they concern, before the revoking call returns. JSON
 * subscribers get them synchronously, in the turn of the commit; SET subscribers through the
 * object's chain, each event signed once and shared.
 */
export async function broadcast(o: TenantObject, events: EventRecord[], issuer: string, audience: string): Promise<void> {
  const buffers = replaying.get(o);
  const forSet: { c: Connection<ConnState>; s: ConnState; i: number }[] = [];
  events.forEach((e, i) => {
    const json = JSON.stringify(e);
    // A tenant-wide event reaches every user subscriber; the others, the user's own.
    for (const { c, s } of [...targetsOf(o, "service"), ...targetsOf(o, e.type === "tenant.revoked" ? "user" : `user:${e.sub}`)]) {
      const parked = buffers?.size ? buffers.get(c.id) : undefined;
      if (parked) parked.push(e);
      else if (s.format === "set") forSet.push({ c, s, i });
      else deliver(c, s, e, json);
    }
  });
  if (!forSet.length) return;
  const needed = [...new Set(forSet.map((t) => t.i))];
  const signing = Promise.all(events.map((e, i) => (needed.includes(i) ? signSet(o.ring, e, issuer, audience).catch(() => null) : null)));
  const turn = (setChain.get(o) ?? Promise.resolve()).then(async () => {
    const sets = await signing;
    for (const t of forSet) if (t.c.readyState === WebSocket.READY_STATE_OPEN) deliver(t.c, t.s, events[t.i], sets[t.i]);
  });
  setChain.set(o, turn.catch(() => {}));
  await turn;
}

/**
 * Per socket: its state as `onConnect` set it. The fields a broadcast reads (kind, sub, sid,
 * format) never change after that; a renewal changes only `exp`, which is read from the
 * attachment. Filled through partyserver's own connections, once per socket object (a wake
 * from hibernation brings new objects): its iterator deserializes every socket's attachment
 * on every pass, which at 1,000 subscribers was a third of a broadcast.
 */
const known = new WeakMap<WebSocket, { c: Connection<ConnState>; s: ConnState }>();

function targetsOf(o: TenantObject, tag: string): { c: Connection<ConnState>; s: ConnState }[] {
  const sockets = o.sockets(tag);
  if (sockets.some((ws) => !known.has(ws))) {
    // A partyserver connection is the socket itself, with accessors added.
    for (const c of o.getConnections<ConnState>(tag)) if (c.state) known.set(c as unknown as WebSocket, { c, s: c.state });
  }
  const out: { c: Connection<ConnState>; s: ConnState }[] = [];
  for (const ws of sockets) {
    const k = known.get(ws);
    if (k && ws.readyState === WebSocket.READY_STATE_OPEN) out.push(k);
  }
  return out;
}

export function isOnline(o: TenantObject, sid: string): boolean {
  for (const _ of o.getConnections(`sid:${sid}`)) return true;
  return false;
}

export function subscriberCounts(o: TenantObject): { service: number; user: number } {
  let service = 0;
  let user = 0;
  for (const _ of o.getConnections("service")) service++;
  for (const _ of o.getConnections("user")) user++;
  return { service, user };
}
