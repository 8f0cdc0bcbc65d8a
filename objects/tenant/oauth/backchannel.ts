/**
 * @module OpenID Connect Back-Channel Logout 1.0. Whenever a Warden session ends, for any
 * reason, every client holding a grant of it that registered a `backchannel_logout_uri` is
 * sent a logout token (section 2.4: `typ: logout+jwt`; `iss`, `aud`, `iat`, `exp`, `jti`,
 * `events`, `sid`, `sub`; never a `nonce`) as a form POST (section 2.5). The delivery is an
 * outbox row written in the transaction that ended the session, so it is never lost; it is
 * signed when it goes out (signing is async) and re-signed on each retry with the same `jti`,
 * so a receiver can deduplicate. Network errors, timeouts and 5xx are retried with backoff
 * for BACKCHANNEL_RETRY_WINDOW_MS; a 400 is the RP's final answer (section 2.8).
 */
import { signJwt } from "../../../src/crypto/jwt.ts";
import { randomToken } from "../../../src/crypto/random.ts";
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

/** One POST; the RP's status, or a thrown error for the network or the deadline. Redirects are not followed. */
async function post(url: string, token: string): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ logout_token: token }).toString(),
    redirect: "manual",
    signal: AbortSignal.timeout(BACKCHANNEL_TIMEOUT_MS),
  });
  await res.body?.cancel();
  return res.status;
}

/** Section 2.8: 200 (or any 2xx) delivered; 400 refused for good; 408, 429, 5xx and network errors retried. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

interface Row {
  id: number;
  payload: string;
  attempts: number;
}

/**
 * Sends the due back-channel rows: each is leased first (its next attempt moved past the
 * deadline), so a concurrent drain or the alarm leaves it alone, then signed and posted.
 */
export async function drainBackchannel(o: { sql: SqlStorage; ring: KeyRing; issuer: string; now: () => number }): Promise<void> {
  const now = o.now();
  const rows = all<Row>(o.sql, "SELECT id, payload, attempts FROM outbox WHERE kind = 'backchannel' AND next_attempt_at <= ? ORDER BY id LIMIT ?", now, BATCH);
  for (const r of rows) o.sql.exec("UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?", r.attempts + 1, now + BACKCHANNEL_TIMEOUT_MS + backoff(r.attempts + 1), r.id);
  await Promise.all(rows.map((r) => attempt(o, r)));
}

async function attempt(o: { sql: SqlStorage; ring: KeyRing; issuer: string; now: () => number }, r: Row): Promise<void> {
  const p = JSON.parse(r.payload) as BackchannelPayload;
  const done = (msg: string | null) => {
    o.sql.exec("DELETE FROM outbox WHERE id = ?", r.id);
    if (msg) console.warn(JSON.stringify({ level: "warn", msg, client_id: p.client_id, outbox_id: r.id }));
  };
  const client = getClient(o.sql, p.client_id);
  if (!client) return done("back-channel logout dropped: the client was deleted");
  let error: string;
  try {
    const token = await signLogoutToken(o.ring, o.issuer, client.id_token_signed_response_alg, p, o.now());
    if (!token) return done("back-channel logout dropped: no signing key");
    const status = await post(p.url, token);
    if (status >= 200 && status < 300) return done(null);
    if (!retryable(status)) return done(`back-channel logout refused by the RP (${status})`);
    error = `RP answered ${status}`;
  } catch (e) {
    error = String(e).slice(0, 200);
  }
  const at = o.now();
  if (at - p.first_at > BACKCHANNEL_RETRY_WINDOW_MS) return done(`back-channel logout given up after ${r.attempts + 1} attempts: ${error}`);
  o.sql.exec("UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?", at + backoff(r.attempts + 1), error, r.id);
}
