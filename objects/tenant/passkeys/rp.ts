/**
 * @module The tenant's WebAuthn Relying Party: the RP ID, its name and the origins whose
 * ceremonies count, resolved from `settings.webauthn` with defaults from PUBLIC_URL and the
 * tenant's name, and the one rule that ties them (WebAuthn L3 section 5.1.3 step 8 and 5.1.4.1
 * step 7): the RP ID is the origin's host or a registrable domain suffix of it. A public suffix
 * (`com`, `co.uk`) cannot be an RP ID; without a copy of the Public Suffix List this module
 * refuses single-label RP IDs other than `localhost` and leaves the rest to the browser, which
 * refuses a public suffix itself.
 *
 * Tenants on one host share its RP ID by default, and with it the browser's passkey list for
 * that host (their usernames appear in each other's autofill): a tenant that must not share
 * gets its own host (custom domain or subdomain), set as `rp_id` and `origins`.
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import type { Settings } from "../../../schema/settings.ts";
import type { TenantCtx } from "../context.ts";

export interface Rp {
  id: string;
  name: string;
  /** Every origin whose ceremonies count: `own` then `related`. */
  origins: string[];
  /** The origins under the RP ID (`webauthn.origins`, else PUBLIC_URL's). */
  own: string[];
  /** WebAuthn L3 section 5.11: origins outside the RP ID, published at its `/.well-known/webauthn`. */
  related: string[];
  userVerification: "required" | "preferred";
}

const HOST_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4_RE = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

/** An origin exactly as a browser serialises it in clientDataJSON: scheme, host, port only. */
function parseOrigin(o: string): URL | null {
  try {
    const u = new URL(o);
    if ((u.protocol !== "https:" && u.protocol !== "http:") || u.origin !== o) return null;
    return u;
  } catch {
    return null;
  }
}

/** True when `rpId` may be the RP ID of a page at `host` (L3 section 5.1.3 step 8). */
export function isRegistrableSuffix(rpId: string, host: string): boolean {
  if (host === rpId) return true;
  // An IP address is its own RP ID and has no parent domain (HTML "is a registrable domain suffix of").
  if (IPV4_RE.test(host) || host.startsWith("[")) return false;
  if (!rpId.includes(".")) return false;
  return host.endsWith(`.${rpId}`);
}

export type RpProblem = { path: string; message: string };

/** Checks a resolved RP; the problems, or none. */
export function rpProblems(rp: { id: string; own: string[]; related: string[] }): RpProblem[] {
  const out: RpProblem[] = [];
  if (!HOST_RE.test(rp.id) && !IPV4_RE.test(rp.id)) out.push({ path: "webauthn.rp_id", message: "must be a lower-case host name (no scheme, port or path)" });
  rp.own.forEach((o, i) => {
    const u = parseOrigin(o);
    if (!u) out.push({ path: `webauthn.origins.${i}`, message: "must be an origin: http(s)://host[:port], nothing after it" });
    else if (!isRegistrableSuffix(rp.id, u.hostname)) out.push({ path: `webauthn.origins.${i}`, message: `the RP ID ${rp.id} is not ${u.hostname} nor a registrable suffix of it (list it in related_origins instead)` });
  });
  // A related origin need not sit under the RP ID (that is its point), but it must be a secure
  // origin: the browser only consults the RP's list for https pages (L3 section 5.11.1).
  rp.related.forEach((o, i) => {
    const u = parseOrigin(o);
    if (!u || (u.protocol !== "https:" && u.hostname !== "localhost")) out.push({ path: `webauthn.related_origins.${i}`, message: "must be an https origin: https://host[:port], nothing after it" });
  });
  return out;
}

/** The settings with their defaults filled in, unchecked. */
export function withDefaults(s: Settings["webauthn"], publicUrl: string, tenantName: string): Rp {
  const base = new URL(publicUrl);
  const own = s.origins.length ? s.origins : [base.origin];
  return { id: s.rp_id ?? base.hostname, name: s.rp_name ?? tenantName, origins: [...new Set([...own, ...s.related_origins])], own, related: s.related_origins, userVerification: s.user_verification };
}

/** The RP of the tenant an operation runs for: the issuer is `{PUBLIC_URL}/v1/{slug}`, so its origin is PUBLIC_URL's. */
export const rpOf = (ctx: TenantCtx): Result<Rp> => resolveRp(ctx.settings.webauthn, new URL(ctx.issuer).origin, ctx.name);

/**
 * The RP of a tenant: its settings, with the defaults filled in from `publicUrl` (PUBLIC_URL)
 * and `tenantName`. Refused (`forbidden`) when passkeys are off, or when the resolved
 * values break the rule (PUBLIC_URL changed under an explicit `rp_id`).
 */
export function resolveRp(s: Settings["webauthn"], publicUrl: string, tenantName: string): Result<Rp> {
  if (!s.enabled) return fail("forbidden", "Passkeys are disabled for this tenant.");
  const rp = withDefaults(s, publicUrl, tenantName);
  const problems = rpProblems(rp);
  if (problems.length) return fail("forbidden", "Passkeys are misconfigured for this tenant.", { details: problems });
  return ok(rp);
}
