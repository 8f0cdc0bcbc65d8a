/**
 * @module The credential of a user subscriber (`GET /events` as a user) and its lifetime. A
 * user subscriber authenticates with a single-use ticket (`POST /events/ticket`, then
 * `?ticket=`; RFC 6750 section 2.3 advises against access tokens in URLs, which end up in
 * logs) or, for compatibility, `?access_token=`. Either way the socket lives no longer than
 * the access token that admitted it: at its `exp` the alarm closes the socket with 4003
 * ("reconnect with a fresh token", not "signed out"), unless the client has renewed in-band
 * with `{"type":"renew","access_token":…}`, a fresh access token of the same session.
 *
 * The expiry sits in the connection's attachment (`ConnState.exp`), so it survives hibernation,
 * and the object's one alarm carries the earliest one (`earliestExpiry`, read by `nextDue`).
 */
import type { Connection, WSMessage } from "partyserver";
import { clock, iso } from "../../../src/clock.ts";
import { ok, type Result } from "../../../src/errors.ts";
import type { TenantObject } from "../../tenant.ts";
import { beginWithToken } from "../bearer.ts";
import type { TenantCtx } from "../context.ts";
import { consumeOneTimeToken, createOneTimeToken, TTL_S } from "../one-time.ts";
import { getSession, isLive } from "../sessions.ts";
import { checkLive } from "../tokens.ts";
import { getUser } from "../users.ts";
import type { ConnState, Identity } from "./subscribers.ts";

/** Close code: the subscriber's access token has expired; reconnect with a fresh one. */
export const CLOSE_EXPIRED = 4003;

interface TicketData {
  sid: string;
  ver: number;
  /** The expiry of the access token the ticket was made with, ms: the socket's too. */
  exp: number;
}

/** `POST /events/ticket`: a 60-second single-use ticket for the bearer's own session. */
export async function createTicket(o: TenantObject, i: { accessToken: string }): Promise<Result<{ ticket: string; expires_in: number }>> {
  const a = await beginWithToken(o, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = o.tx(ctx, (): Result<string> => {
    const p = checkLive(ctx, claims);
    if (!p.ok) return p;
    const data: TicketData = { sid: claims.sid, ver: claims.ver, exp: claims.exp * 1000 };
    return ok(createOneTimeToken(ctx, "event_ticket", { userId: claims.sub, data }).token);
  });
  if (!r.ok) return r;
  await o.commit(ctx);
  return ok({ ticket: r.value, expires_in: TTL_S.event_ticket });
}

/**
 * Inside a transaction: uses the ticket up (whatever follows) and answers the identity it
 * stands for, or null when it is unknown, used, expired, or its session or user version has
 * died since (a ticket dies with its session).
 */
export function redeemTicket(ctx: TenantCtx, ticket: string): Identity | null {
  const row = consumeOneTimeToken(ctx, "event_ticket", ticket);
  if (!row?.user_id || !row.data) return null;
  const d = JSON.parse(row.data) as TicketData;
  const id: Identity = { kind: "user", sub: row.user_id, sid: d.sid, ver: d.ver, exp: d.exp };
  return credentialLive(ctx, id) && d.exp > ctx.now ? id : null;
}

/** Is a user subscriber's own credential still alive? */
export function credentialLive(ctx: TenantCtx, id: Identity): boolean {
  const s = getSession(ctx.sql, id.sid!);
  const u = getUser(ctx.sql, id.sub!);
  return !!s && isLive(s, ctx.now) && s.user_id === id.sub && !!u && u.status === "active" && u.secret_version === id.ver;
}

/**
 * A message from a subscriber. Only `{"type":"renew","access_token":…}` from a user subscriber
 * means something: a live access token of the socket's own session moves the socket's expiry
 * to that token's, answered `{"type":"renewed","expires_at"}`; anything wrong is answered
 * `{"type":"error","error":{"code":"invalid_token",…}}` and changes nothing. Every other
 * message is ignored, as before.
 */
export async function onMessage(o: TenantObject, conn: Connection<ConnState>, message: WSMessage): Promise<void> {
  const state = conn.state;
  if (state?.kind !== "user" || typeof message !== "string" || !message.startsWith("{")) return;
  let m: { type?: unknown; access_token?: unknown };
  try {
    m = JSON.parse(message);
  } catch {
    return;
  }
  if (m?.type !== "renew") return;
  const b = await o.begin();
  if (!b.ok) return;
  const claims = typeof m.access_token === "string" ? await o.verifyAccess(b.value, m.access_token) : null;
  const live = claims && claims.sub === state.sub && claims.sid === state.sid ? checkLive({ ...b.value, now: clock.now() }, claims) : null;
  if (!claims || !live?.ok) {
    conn.send(JSON.stringify({ type: "error", error: { code: "invalid_token", message: "The renewal needs a live access token of this socket's session." } }));
    return;
  }
  const exp = claims.exp * 1000;
  // Never earlier than what the socket already has (an older token sent by mistake).
  if (state.exp === undefined || exp > state.exp) conn.setState({ ...state, exp });
  conn.send(JSON.stringify({ type: "renewed", expires_at: iso(Math.max(exp, state.exp ?? exp)) }));
}

/** The alarm's part: closes, with 4003, the user subscribers whose token has expired. */
export function closeExpired(o: TenantObject, now: number): void {
  for (const c of o.getConnections<ConnState>("user")) {
    const exp = c.state?.exp;
    if (exp === undefined || exp > now || c.readyState !== WebSocket.READY_STATE_OPEN) continue;
    try {
      c.close(CLOSE_EXPIRED, "token expired");
    } catch {
      // already closing
    }
  }
}

/** The earliest expiry among open user subscribers, for the alarm's plan. */
export function earliestExpiry(o: TenantObject): number | null {
  let next: number | null = null;
  for (const c of o.getConnections<ConnState>("user")) {
    const exp = c.state?.exp;
    if (exp !== undefined && c.readyState === WebSocket.READY_STATE_OPEN && (next === null || exp < next)) next = exp;
  }
  return next;
}
