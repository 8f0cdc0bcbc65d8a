/**
 * @module The admin console's calls of its own on a tenant (src/routes/console/): a sign-in
 * with a `manage` key, audited `console.signed_in` with the key as actor; the check every
 * later console request makes that the key behind its cookie is still live; and the hourly
 * counters behind the overview's charts. Everything else the
 * console does goes through the operator flows the admin API uses.
 */
import { ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import type { RequestMeta } from "../context.ts";
import { hourlySeries, type HourlySeries } from "../hourly.ts";
import { beginAs, type Operator } from "../operator.ts";
import type { Runtime } from "../runtime.ts";

/** Who `by` is (`admin` or `key:{id}`), refusing as the operator flows do; writes nothing. */
export async function consoleActor(rt: Runtime, i: { by: Operator }): Promise<Result<{ actor: string }>> {
  const b = await beginAs(rt, i.by);
  return b.ok ? ok({ actor: b.value.actor }) : b;
}

/** The last 24 hours of the hourly counters, for the overview's charts. */
export async function hourlyCounts(rt: Runtime, i: { by: Operator }): Promise<Result<HourlySeries>> {
  const b = await beginAs(rt, i.by);
  return b.ok ? ok(hourlySeries(b.value.ctx.sql, b.value.ctx.now)) : b;
}

/** A console sign-in on this tenant, in its audit log. */
export async function consoleSignIn(rt: Runtime, i: { by: Operator; meta: RequestMeta; via: "admin_token" | "api_key" }): Promise<Result<{ actor: string }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  const { ctx, actor } = b.value;
  rt.tx(ctx, () => audit(ctx, { type: "console.signed_in", actor, meta: i.meta, data: { via: i.via } }));
  await rt.commit(ctx);
  return ok({ actor });
}
