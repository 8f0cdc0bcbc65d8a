/**
 * @module Cloudflare Turnstile. The router verifies a `cf-turnstile-response`
 * header with siteverify before it calls the object; the object decides whether the route
 * needed one (`turnstile.required_for`, or `after_failures` for that account or IP). Fails
 * closed: siteverify unreachable is 503, and a deployment without a secret verifies nothing,
 * so a route that needs Turnstile there is refused (`turnstile_required`) whatever is sent.
 */
import { AuthError } from "./errors.ts";

export const SITEVERIFY = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/** What Cloudflare's test sitekeys put in the widget. */
export const DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";
/**
 * Cloudflare's documented test secret keys and siteverify's answer to each (always passes,
 * always fails, "token already spent"). Paired with the dummy token they are answered here,
 * without the network, so local development (`npm start`, no network) works with test keys;
 * any other token still goes to siteverify. Never configure a test secret in production.
 */
const TEST_SECRETS = new Map([
  ["1x0000000000000000000000000000000AA", true],
  ["2x0000000000000000000000000000000AA", false],
  ["3x0000000000000000000000000000000AA", false],
]);

/** True when a token was presented and verified; false when none was presented (or none can be checked here). Throws otherwise. */
export function turnstile(req: Request, secret: string | undefined, ip: string | null, fetcher: typeof fetch = fetch): Promise<boolean> {
  return verifyTurnstile(req.headers.get("cf-turnstile-response"), secret, ip, fetcher);
}

/**
 * The check itself, for a token from the `cf-turnstile-response` header (the REST routes) or
 * the form field of the same name the widget adds (the hosted pages).
 */
export async function verifyTurnstile(token: string | null | undefined, secret: string | undefined, ip: string | null, fetcher: typeof fetch = fetch): Promise<boolean> {
  if (!token) return false;
  // Without a secret nothing can be verified: the token counts as absent, so a tenant that does
  // not ask for Turnstile is not refused for a header its clients send anyway, and one that does
  // is refused by its own rule.
  if (!secret) return false;
  if (token.length > 2048) throw new AuthError("turnstile_failed");
  if (token === DUMMY_TOKEN && TEST_SECRETS.has(secret)) {
    if (!TEST_SECRETS.get(secret)) throw new AuthError("turnstile_failed");
    return true;
  }
  const form = new FormData();
  form.set("secret", secret);
  form.set("response", token);
  if (ip) form.set("remoteip", ip);
  let res: Response;
  try {
    res = await fetcher(SITEVERIFY, { method: "POST", body: form });
  } catch {
    throw new AuthError("unavailable", "Turnstile verification is unreachable.");
  }
  if (!res.ok) throw new AuthError("unavailable", "Turnstile verification is unreachable.");
  const body = (await res.json().catch(() => null)) as { success?: boolean } | null;
  if (!body || body.success !== true) throw new AuthError("turnstile_failed");
  return true;
}
