/**
 * @module Revocation subscribers (SPEC section 7) over partyserver WebSockets with
 * hibernation. Credentials are checked before the upgrade; a refused one gets the SPEC's error
 * and nothing is stored. Connections are tagged (`service`, `user:{id}`, `sid:{sid}`,
 * `key:{id}`) so a broadcast reaches only the sockets it concerns.
 */
import type { Connection } from "partyserver";
import { clock, iso } from "../../../src/clock.ts";
import { AuthError, type ErrorCode } from "../../../src/errors.ts";
import type { TenantObject } from "../../tenant.ts";
import { checkApiKey } from "../api-keys.ts";
import type { EventRecord } from "../context.ts";
import { eventsAfter, latestSeq, oldestSeq } from "../events.ts";
import { signSet } from "../set.ts";
import { audienceOf, checkLive } from "../tokens.ts";

/** Set by the router after it has checked the ADMIN_TOKEN (stripped from client requests). */
export const ADMIN_HEADER = "x-warden-admin";
const IDENTITY_HEADER = "x-warden-subscriber";
export const CLOSE_REVOKED = 4001;
const REPLAY_MAX = 100_000;

interface Identity {
  kind: "service" | "user";
  keyId?: string;
  sub?: string;
  sid?: string;
}

interface ConnState {
  kind: "service" | "user";
  sub?: string;
  sid?: string;
  format: "json" | "set";
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
  const since = url.searchParams.get("since");
  if (since !== null && !/^\d{1,15}$/.test(since)) return refuse("invalid_request", "`since` must be a non-negative integer.");
  const format = url.searchParams.get("format");
  if (format !== null && format !== "set" && format !== "json") return refuse("invalid_request", "`format` must be `json` or `set`.");
  let id: Identity;
  const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  const accessToken = url.searchParams.get("access_token");
  if (request.headers.get(ADMIN_HEADER) === "1") {
    id = { kind: "service", keyId: "admin" };
  } else if (bearer) {
    const k = checkApiKey(ctx.sql, bearer, "subscribe", ctx.now);
    if (!k.ok) return k.reason === "scope" ? refuse("forbidden", "The API key lacks the subscribe scope.") : refuse("invalid_token", "Invalid API key.");
    id = { kind: "service", keyId: k.id };
  } else if (accessToken) {
    const claims = await o.verifyAccess(ctx, accessToken);
    const live = claims ? checkLive({ ...ctx, now: clock.now() }, claims) : null;
    if (!claims || !live?.ok) return refuse("invalid_token");
    id = { kind: "user", sub: claims.sub, sid: claims.sid };
  } else {
    return refuse("unauthorized", "Send an API key with the subscribe scope, or ?access_token=.");
  }
  const headers = new Headers(request.headers);
  headers.delete(ADMIN_HEADER);
  headers.set(IDENTITY_HEADER, JSON.stringify(id));
  return new Request(request, { headers });
}

function identityOf(request: Request): Identity {
  return JSON.parse(request.headers.get(IDENTITY_HEADER)!);
}

export function tags(request: Request): string[] {
  const id = identityOf(request);
  return id.kind === "service" ? ["service", `key:${id.keyId}`] : ["user", `user:${id.sub}`, `sid:${id.sid}`];
}

/**
 * `hello`, then the replay after `since`, all before this turn yields: no broadcast can slip in
 * between, so the subscriber sees neither a gap nor a duplicate.
 */
export async function onConnect(o: TenantObject, conn: Connection, request: Request): Promise<void> {
  const id = identityOf(request);
  const url = new URL(request.url);
  const state: ConnState = { kind: id.kind, sub: id.sub, sid: id.sid, format: url.searchParams.get("format") === "set" ? "set" : "json" };
  conn.setState(state);
  const b = await o.begin();
  if (!b.ok) return conn.close(4004, "tenant not found");
  const ctx = b.value;
  const seq = latestSeq(ctx.sql);
  const replay: EventRecord[] = [];
  let reset = false;
  const sinceParam = url.searchParams.get("since");
  if (sinceParam !== null) {
    const since = Number(sinceParam);
    const oldest = oldestSeq(ctx.sql);
    if (since > seq || (oldest !== null && since < oldest - 1) || (oldest === null && since < seq)) reset = true;
    else replay.push(...eventsAfter(ctx.sql, ctx.slug, since, REPLAY_MAX).filter((e) => concerns(state, e)));
  }
  const signed = state.format === "set" ? await Promise.all(replay.map((e) => signSet(o.ring, e, ctx.issuer, audienceOf(ctx.slug, ctx.settings)))) : null;
  // From here on, synchronous: hello, reset or replay, in order.
  conn.send(JSON.stringify({ type: "hello", tenant: ctx.slug, seq, server_time: iso(clock.now()) }));
  if (reset) conn.send(JSON.stringify({ type: "reset", seq }));
  replay.forEach((e, i) => conn.send(signed ? signed[i] : JSON.stringify(e)));
}

function concerns(s: ConnState, e: EventRecord): boolean {
  return s.kind === "service" || e.sub === s.sub;
}

/** Does this event end the subscriber's own credential (its session, or every token of its user)? */
function endsSubscriber(s: ConnState, e: EventRecord): boolean {
  if (s.kind !== "user" || e.sub !== s.sub) return false;
  if (e.type === "session.revoked" || e.type === "session.expired") return e.sid === s.sid;
  return e.type === "user.revoked" || e.type === "user.disabled" || e.type === "user.deleted";
}

/**
 * Sends committed events to the sockets they concern, before the revoking call returns.
 * SET subscribers get each event signed once, shared by all of them.
 */
export async function broadcast(o: TenantObject, events: EventRecord[], issuer: string, audience: string): Promise<void> {
  const wantsSet = [...o.getConnections<ConnState>()].some((c) => c.state?.format === "set");
  const sets = wantsSet ? await Promise.all(events.map((e) => signSet(o.ring, e, issuer, audience).catch(() => null))) : null;
  events.forEach((e, i) => {
    const json = JSON.stringify(e);
    const deliver = (c: Connection<ConnState>) => {
      const msg = c.state?.format === "set" ? sets?.[i] : json;
      try {
        if (msg) c.send(msg);
        if (c.state && endsSubscriber(c.state, e)) c.close(CLOSE_REVOKED, e.type);
      } catch {
        // a socket closing under us is not the broadcaster's problem
      }
    };
    for (const c of o.getConnections<ConnState>("service")) deliver(c);
    for (const c of o.getConnections<ConnState>(`user:${e.sub}`)) deliver(c);
  });
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
