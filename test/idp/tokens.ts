/** @module A Warden session for a user made at the object, as a sign-in would make it (tests that need a bearer token for a federated-only user). */
import { runInDurableObject } from "cloudflare:test";
import { issue } from "../../objects/tenant/flows/auth.ts";
import { getUser } from "../../objects/tenant/users.ts";
import { stub } from "../helpers.ts";

export async function issueTokenFor(slug: string, userId: string, amr: string[]): Promise<string> {
  return runInDurableObject(stub(slug), async (o) => {
    const b = await o.begin();
    if (!b.ok) throw new Error("no tenant");
    const ctx = b.value;
    const u = getUser(ctx.sql, userId)!;
    const secret = await o.userSecret(u);
    const issued = o.tx(ctx, () => issue(ctx, u, secret, amr, { ip: null, userAgent: null }));
    await o.commit(ctx);
    return (await o.respond(ctx, issued)).access_token;
  });
}
