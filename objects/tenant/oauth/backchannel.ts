/**
 * @module OpenID Connect Back-Channel Logout 1.0. Whenever a Warden session ends, for any
 * reason, every client holding a grant of it that registered a `backchannel_logout_uri` is
 * sent a logout token (section 2.4: `typ: logout+jwt`; `iss`, `aud`, `iat`, `exp`, `jti`,
 * `events`, `sid`, `sub`; never a `nonce`) as a form POST (section 2.5). The delivery is an
 * outbox row written in the transaction that ended the session, so it is never lost; it is
 * signed when it goes out (signing is async) and re-signed on each retry with the same `jti`,
 * so a receiver can deduplicate. Network errors, timeouts and 5xx are retried with backoff
 * for BACKCHANNEL_RETRY_WINDOW_MS; a 400 is the RP's final answer (section 2.8). Sent through
 * the outbound-request module (src/http/outbound.ts), like every request to a destination a
 * client or an operator chose.
 */
import { signJwt } from "../../../src/crypto/jwt.ts";
import { OutboundError, outboundFetch, type OutboundEnv } from "../../../src/http/outbound.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import { logger } from "../../../src/log.ts";
import { getClient } from "../clients.ts";
import type { TenantCtx } from "../context.ts";
import type { KeyRing } from "../keys.ts";
import { backoff, enqueue } from "../outbox.ts";
import { all } from "../sql.ts";
import type { GrantRow } from "./grants.ts";

export const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
/** A logout token is valid this long (section 2.4 recommends at most two minutes). */
export const LOGOUT_TOKEN_TTL_S = 120;
/** Retried this long after the session ended, then given up (and logged). */
export const BACKCHANNEL_RETRY_WINDOW_MS = 24 * 3_600_000;
/** The RP has this long to answer one attempt. */
export const BACKCHANNEL_TIMEOUT_MS = 10_000;
const BATCH = 50;

export interface BackchannelPayload {
  client_id: string;
  url: string;
  sub: string;
  sid: string;
  jti: string;
  first_at: number;
}

/** Inside the transaction that ended these grants' session: one delivery per client that asked for it. */
export function queueBackchannelLogout(ctx: TenantCtx, ended: GrantRow[]): void {
  const seen = new Set<string>();
  for (const g of ended) {
    if (!g.session_id || !g.user_id || seen.has(`${g.client_id} ${g.session_id}`)) continue;
    seen.add(`${g.client_id} ${g.session_id}`);
    const c = getClient(ctx.sql, g.client_id);
    if (!c?.backchannel_logout_uri) continue;
    const p: BackchannelPayload = { client_id: c.client_id, url: c.backchannel_logout_uri, sub: g.user_id, sid: g.session_id, jti: randomToken(16), first_at: ctx.now };
    enqueue(ctx, "backchannel", p);
  }
}

export async function signLogoutToken(ring: KeyRing, issuer: string, alg: "RS256" | "EdDSA" | "ES256", p: BackchannelPayload, now: number): Promise<string | null> {
  // An ID-token key: RPs validate logout tokens as they validate ID tokens (section 2.6).
  const key = ring.current("id_token", alg);
  if (!key) return null;
  const iat = Math.floor(now / 1000);
  return signJwt(
    { iss: issuer, aud: p.client_id, iat, exp: iat + LOGOUT_TOKEN_TTL_S, jti: p.jti, sub: p.sub, sid: p.sid, events: { [BACKCHANNEL_EVENT]: {} } },
    { alg, kid: key.kid, typ: "logout+jwt" },
    key.sign,
  );
}

/** What the drain needs from the object. */
export interface BackchannelSource {
  sql: SqlStorage;
  ring: KeyRing;
  issuer: string;
  /** The outbound rules' environment, and LOG_LEVEL for the outcome lines. */
  env: OutboundEnv & { LOG_LEVEL?: string };
  now: () => number;
  /** Told of every attempt started; each settles on its own and records its outcome (as webhooks do). */
  started(attempt: Promise<void>): void;
}

/** One POST through the outbound module (destination rules, no redirects, a deadline); the RP's status. */
async function post(src: BackchannelSource, url: string, token: string): Promise<number> {
  const res = await outboundFetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ logout_token: token }).toString() }, { timeoutMs: BACKCHANNEL_TIMEOUT_MS, env: src.env });
  await res.body?.cancel();
  return res.status;
}

/** Section 2.8: 200 (or any 2xx) delivered; 400 refused for good; 408, 429, 5xx, network errors and timeouts retried. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

interface Row {
  id: number;
  payload: string;
  attempts: number;
}

/**
 * Starts the due back-channel rows: each is leased first (its next attempt moved past the
 * deadline, its attempt counted), so a concurrent drain or the alarm leaves it alone and, if
 * the object goes away mid-attempt, the alarm sends it again; then signed and posted on its own.
 */
export function drainBackchannel(src: BackchannelSource): void {
  const now = src.now();
  const rows = all<Row>(src.sql, "SELECT id, payload, attempts FROM outbox WHERE kind = 'backchannel' AND next_attempt_at <= ? ORDER BY id LIMIT ?", now, BATCH);
  for (const r of rows) {
    src.sql.exec("UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?", r.attempts + 1, now + BACKCHANNEL_TIMEOUT_MS + backoff(r.attempts + 1), r.id);
    src.started(attempt(src, r));
  }
}

async function attempt(src: BackchannelSource, r: Row): Promise<void> {
  const p = JSON.parse(r.payload) as BackchannelPayload;
  const done = (msg: string | null) => {
    src.sql.exec("DELETE FROM outbox WHERE id = ?", r.id);
    if (msg) logger(src.env.LOG_LEVEL).warn(msg, { client_id: p.client_id, outbox_id: r.id });
  };
  const client = getClient(src.sql, p.client_id);
  if (!client) return done("back-channel logout dropped: the client was deleted");
  let error: string;
  try {
    const token = await signLogoutToken(src.ring, src.issuer, client.id_token_signed_response_alg, p, src.now());
    if (!token) return done("back-channel logout dropped: no signing key");
    const status = await post(src, p.url, token);
    if (status >= 200 && status < 300) return done(null);
    if (!retryable(status)) return done(`back-channel logout refused by the RP (${status})`);
    error = `RP answered ${status}`;
  } catch (e) {
    // A refused destination (the rules tightened since registration) will not get better.
    if (e instanceof OutboundError && e.reason === "refused") return done(`back-channel logout dropped: ${e.message}`);
    error = String(e).slice(0, 200);
  }
  const at = src.now();
  if (at - p.first_at > BACKCHANNEL_RETRY_WINDOW_MS) return done(`back-channel logout given up after ${r.attempts + 1} attempts: ${error}`);
  src.sql.exec("UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?", at + backoff(r.attempts + 1), error, r.id);
}
