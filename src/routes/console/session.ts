/**
 * @module The admin console's session: one cookie, sealed (AES-256-GCM under a key derived
 * from MASTER_KEY, src/crypto/seal.ts), so the browser can neither read nor change it and no
 * table has to hold it. It carries who signed in (the operator, with a SHA-256 fingerprint of
 * the ADMIN_TOKEN it came from; or a tenant's `manage` API key, for that one tenant), when
 * (absolute timeout, ASVS 5.0 V7.3.2) and when it was last used (idle timeout, V7.3.1: every
 * request re-seals it with a fresh `seen`). It dies with its token: a rotated ADMIN_TOKEN no
 * longer matches the fingerprint, and a revoked key fails the object's check that every
 * console request makes (routes/console/auth.ts).
 *
 * Over https the cookie takes the `__Host-` prefix, which requires `Path=/` (RFC 6265bis
 * section 4.1.3.2); SameSite=Strict keeps it off every cross-site request. On loopback http
 * (local development) it goes without Secure and without the prefix, scoped to `/admin/`.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { clock } from "../../clock.ts";
import { utf8 } from "../../crypto/bytes.ts";
import { sha256B64 } from "../../crypto/digest.ts";
import { randomToken } from "../../crypto/random.ts";
import { Sealer } from "../../crypto/seal.ts";
import { timingSafeEqual } from "../../crypto/timing-safe-equal.ts";
import { isSecureContext } from "../../pages/cookies.ts";

/** Idle timeout: 30 minutes without a request (ASVS 5.0 V7.3.1; the L2 figure of ASVS 4 3.3.2). */
export const IDLE_MS = 30 * 60_000;
/** Absolute timeout: 12 hours after the sign-in, whatever the activity (ASVS 5.0 V7.3.2). */
export const ABSOLUTE_MS = 12 * 3_600_000;

const payload = z.strictObject({
  /** Random id of this sign-in (its CSRF tokens are bound to it). */
  sid: z.string(),
  kind: z.enum(["admin", "key"]),
  /** SHA-256 of the ADMIN_TOKEN the operator signed in with. */
  fp: z.string().optional(),
  /** The tenant and its manage key, for a key session. */
  slug: z.string().optional(),
  key: z.string().optional(),
  iat: z.number(),
  seen: z.number(),
});
export type ConsoleSession = z.infer<typeof payload>;

let sealer: { mk: string; s: Promise<Sealer> } | null = null;
const sealerFor = (masterKey: string): Promise<Sealer> => {
  if (sealer?.mk !== masterKey) sealer = { mk: masterKey, s: Sealer.create(masterKey) };
  return sealer.s;
};
const AAD = ["console", "session"] as const;

export function consoleCookie(c: Context): { name: string; path: string; secure: boolean } {
  const secure = isSecureContext(c.req.url);
  return secure ? { name: "__Host-warden_console", path: "/", secure } : { name: "warden_console", path: "/admin/", secure };
}

export const adminFingerprint = (token: string): string => sha256B64(token);

/** True when the session's fingerprint is that of the ADMIN_TOKEN configured now. */
export function sameAdminToken(s: ConsoleSession, current: string | undefined): boolean {
  if (!s.fp || !current) return false;
  return timingSafeEqual(utf8(s.fp), utf8(adminFingerprint(current)));
}

export function newSession(o: { kind: "admin"; token: string } | { kind: "key"; slug: string; key: string }): ConsoleSession {
  const now = clock.now();
  const base = { sid: randomToken(16), iat: now, seen: now };
  return o.kind === "admin" ? { ...base, kind: "admin", fp: adminFingerprint(o.token) } : { ...base, kind: "key", slug: o.slug, key: o.key };
}

export async function writeSession(c: Context, s: ConsoleSession): Promise<void> {
  const sealed = await (await sealerFor(c.env.MASTER_KEY)).seal(utf8(JSON.stringify(s)), "console-session", ...AAD);
  const spec = consoleCookie(c);
  const left = Math.floor((s.iat + ABSOLUTE_MS - clock.now()) / 1000);
  setCookie(c, spec.name, sealed, { path: spec.path, secure: spec.secure, httpOnly: true, sameSite: "Strict", maxAge: Math.max(0, left) });
}

export function clearSession(c: Context): void {
  const spec = consoleCookie(c);
  deleteCookie(c, spec.name, { path: spec.path, secure: spec.secure, httpOnly: true, sameSite: "Strict" });
}

export type Opened = { ok: true; session: ConsoleSession } | { ok: false; reason: "none" | "invalid" | "idle" | "expired" };

/** The cookie's session, if it opens and neither timeout has passed. */
export async function readSession(c: Context): Promise<Opened> {
  const raw = getCookie(c, consoleCookie(c).name);
  if (!raw) return { ok: false, reason: "none" };
  let s: ConsoleSession;
  try {
    const plain = await (await sealerFor(c.env.MASTER_KEY)).open(raw, "console-session", ...AAD);
    s = payload.parse(JSON.parse(new TextDecoder().decode(plain)));
  } catch {
    return { ok: false, reason: "invalid" };
  }
  const now = clock.now();
  if (now - s.iat >= ABSOLUTE_MS) return { ok: false, reason: "expired" };
  if (now - s.seen >= IDLE_MS) return { ok: false, reason: "idle" };
  return { ok: true, session: s };
}
