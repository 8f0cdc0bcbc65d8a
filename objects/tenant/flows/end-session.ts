/**
 * @module OpenID Connect RP-Initiated Logout 1.0 (`/oauth/logout`). A valid `id_token_hint`
 * names the session and the client; the session ends without a question (the app holding the
 * user's ID token asks on the user's behalf). Without one the user confirms on a page first.
 * `post_logout_redirect_uri` is followed only when it exactly matches one registered for the
 * client the request names (section 3): anything else gets the error page, never a redirect,
 * so the endpoint is no open redirector. Ending the session ends its grants and, through the
 * session's own revocation, notifies subscribers and back-channel logout receivers.
 */
import { ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { findBrowserSession } from "../browser.ts";
import { getClient, postLogoutUriMatches } from "../clients.ts";
import type { RequestMeta } from "../context.ts";
import { verifyIdTokenHint, type IdTokenHint } from "../oauth/id-token.ts";
import type { Runtime } from "../runtime.ts";
import { getSession, isLive, revokeSession } from "../sessions.ts";

export interface EndSessionInput {
  idTokenHint: string | null;
  clientId: string | null;
  postLogoutRedirectUri: string | null;
  cookieHash: string | null;
  /** The user confirmed on the sign-out page (a CSRF-checked POST). */
  confirmed: boolean;
  meta: RequestMeta;
}

export type EndSessionOutcome =
  | { kind: "error_page"; error: string; description: string }
  | { kind: "confirm" }
  | { kind: "done"; redirect: string | null };

export async function endSession(rt: Runtime, i: EndSessionInput): Promise<Result<EndSessionOutcome>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const refuse = (description: string): Result<EndSessionOutcome> => ok({ kind: "error_page", error: "invalid_request", description });
  let hint: IdTokenHint | null = null;
  if (i.idTokenHint) {
    hint = await verifyIdTokenHint(rt, ctx, i.idTokenHint);
    if (!hint) return refuse("id_token_hint is not an ID token this tenant issued.");
  }
  if (hint && i.clientId && hint.aud !== i.clientId) return refuse("client_id does not match the id_token_hint.");
  const clientId = hint?.aud ?? i.clientId;
  const client = clientId ? getClient(ctx.sql, clientId) : null;
  if (clientId && !client) return refuse("Unknown client.");
  if (i.postLogoutRedirectUri !== null) {
    if (!client) return refuse("post_logout_redirect_uri needs an id_token_hint or a client_id.");
    if (!postLogoutUriMatches(client, i.postLogoutRedirectUri)) return refuse("post_logout_redirect_uri is not registered for this client.");
  }
  if (!hint && !i.confirmed) return ok({ kind: "confirm" });
  const h = hint;
  rt.tx(ctx, () => {
    const ended = new Set<string>();
    const end = (s: { id: string; user_id: string }, via: string) => {
      const row = getSession(ctx.sql, s.id);
      if (!row || !isLive(row, ctx.now) || ended.has(row.id)) return;
      ended.add(row.id);
      revokeSession(ctx, row, "logout");
      audit(ctx, { type: "logout", userId: row.user_id, sessionId: row.id, meta: i.meta, data: { via, client_id: clientId } });
    };
    const browser = findBrowserSession(ctx, i.cookieHash);
    if (h) {
      const s = getSession(ctx.sql, h.sid);
      if (s && s.user_id === h.sub) end(s, "end_session");
      // The browser's own sign-in goes too when it is the same user's (RP-initiated logout logs out of the OP).
      if (browser && browser.user.id === h.sub) end(browser.session, "end_session");
    } else if (browser) {
      end(browser.session, "end_session");
    }
  });
  await rt.commit(ctx);
  return ok({ kind: "done", redirect: i.postLogoutRedirectUri });
}


