/**
 * @module The signed-in user's linked upstream identities: list them, and unlink one. Unlinking
 * changes how the account signs in, so it needs a recent authentication (step-up.ts), and the
 * last way to sign in (ways-in.ts: a password, a passkey, another identity or a verified
 * email) cannot be removed.
 */
import { waysInWithout } from "../ways-in.ts";
import { beginWithToken } from "../bearer.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import type { RequestMeta } from "../context.ts";
import { getIdentity, identitiesOf, toPublicIdentity, unlinkIdentity, type PublicIdentity } from "../idp/identities.ts";
import type { Runtime } from "../runtime.ts";
import { requireRecentAuth, type PasswordProof } from "../step-up.ts";
import { checkLive } from "../tokens.ts";

export async function listIdentities(rt: Runtime, i: { accessToken: string }): Promise<Result<{ identities: PublicIdentity[] }>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const p = checkLive(ctx, claims);
  if (!p.ok) return p;
  return ok({ identities: identitiesOf(ctx.sql, p.value.user.id).map(toPublicIdentity) });
}

export async function unlinkOwnIdentity(rt: Runtime, i: { accessToken: string; id: string; password?: PasswordProof | null; meta: RequestMeta }): Promise<Result<null>> {
  const a = await beginWithToken(rt, i.accessToken);
  if (!a.ok) return a;
  const { ctx, claims } = a.value;
  const r = rt.tx(ctx, (): Result<null> => {
    const p = requireRecentAuth(ctx, claims, { via: "unlink_identity", password: i.password, meta: i.meta });
    if (!p.ok) return p;
    const { user, session } = p.value;
    const row = getIdentity(ctx.sql, i.id);
    if (!row || row.user_id !== user.id) return fail("not_found", "No such identity.");
    if (waysInWithout(ctx, user, { identity: row.id }) === 0) return fail("conflict", "This is the account's last way to sign in; set a password, add a passkey or link another provider first.");
    unlinkIdentity(ctx, row.id);
    audit(ctx, { type: "identity.unlinked", userId: user.id, sessionId: session.id, meta: i.meta, data: { provider: row.provider_id } });
    return ok(null);
  });
  await rt.commit(ctx);
  return r;
}
