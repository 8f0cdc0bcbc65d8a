/**
 * @module "Your apps" on the hosted pages: the clients the signed-in user has consented to,
 * and removing one, which forgets the consent and ends that client's grants for the user (its
 * tokens die at once; the Warden session and the other apps' grants stay).
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { findBrowserSession } from "../browser.ts";
import { getClient } from "../clients.ts";
import { deleteConsent, listConsents } from "../consents.ts";
import type { RequestMeta } from "../context.ts";
import { revokeGrant, type GrantRow } from "../oauth/grants.ts";
import type { Runtime } from "../runtime.ts";
import { all } from "../sql.ts";

export interface AppsView {
  who: string;
  apps: { clientId: string; name: string; logoUri: string | null; scopes: string[] }[];
}

export async function listApps(rt: Runtime, i: { cookieHash: string | null }): Promise<Result<AppsView | null>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const p = findBrowserSession(ctx, i.cookieHash);
  if (!p) return ok(null);
  const apps = listConsents(ctx.sql, p.user.id).map((row) => {
    const c = getClient(ctx.sql, row.client_id);
    return { clientId: row.client_id, name: c?.client_name ?? row.client_id, logoUri: c?.logo_uri ?? null, scopes: row.scope.split(" ").filter(Boolean) };
  });
  return ok({ who: p.user.email ?? p.user.username ?? p.user.id, apps });
}

export async function removeApp(rt: Runtime, i: { cookieHash: string | null; clientId: string; meta: RequestMeta }): Promise<Result<{ removed: boolean }>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const r = rt.tx(ctx, (): Result<{ removed: boolean }> => {
    const p = findBrowserSession(ctx, i.cookieHash);
    if (!p) return fail("unauthorized");
    const removed = deleteConsent(ctx, p.user.id, i.clientId);
    const grants = all<GrantRow>(ctx.sql, "SELECT * FROM grants WHERE user_id = ? AND client_id = ? AND revoked_at IS NULL", p.user.id, i.clientId);
    for (const g of grants) revokeGrant(ctx, g, "consent_revoked");
    if (removed || grants.length) audit(ctx, { type: "consent.revoked", userId: p.user.id, sessionId: p.session.id, meta: i.meta, data: { client_id: i.clientId, grants: grants.length } });
    return ok({ removed });
  });
  await rt.commit(ctx);
  return r;
}
