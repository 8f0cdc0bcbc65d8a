/** @module Whether a page shows the Turnstile widget: the tenant has a sitekey and the route may demand a token. */
import type { PageContext } from "../../../objects/tenant/flows/browser.ts";

export function turnstileFor(brand: PageContext, route: "login" | "signup" | "magic_link" | "password_forgot"): string | null {
  const t = brand.turnstile;
  if (!t.siteKey) return null;
  return t.requiredFor.includes(route) || t.afterFailures !== null ? t.siteKey : null;
}
