/**
 * @module Who is calling an operator flow: the deployment's admin (ADMIN_TOKEN, already checked
 * by the router) or one of the tenant's own API keys with the `manage` scope, checked here,
 * next to the keys, inside the one RPC of the request. The answer is the audit `actor`.
 */
import { fail, ok, type Result } from "../../src/errors.ts";
import { checkApiKey } from "./api-keys.ts";
import type { TenantCtx } from "./context.ts";
import type { Runtime } from "./runtime.ts";

export type Operator = { admin: true } | { apiKey: string };

/** `admin` or `key:{id}`; a key that is not a live key of this tenant → 401 `invalid_token`, one without `manage` → 403 `forbidden`. */
function authorize(ctx: TenantCtx, by: Operator): Result<string> {
  if ("admin" in by) return ok("admin");
  const k = checkApiKey(ctx.sql, by.apiKey, "manage", ctx.now);
  if (k.ok) return ok(`key:${k.id}`);
  return k.reason === "scope" ? fail("forbidden", "The API key lacks the manage scope.") : fail("invalid_token", "Invalid API key.");
}

/** `rt.begin()` for an operator flow: the tenant, then the caller, before anything else is read. */
export async function beginAs(rt: Runtime, by: Operator): Promise<Result<{ ctx: TenantCtx; actor: string }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const who = authorize(b.value, by);
  return who.ok ? ok({ ctx: b.value, actor: who.value }) : who;
}
