/**
 * @module `/oauth/authorize` in the tenant object: the check pipeline, then the browser's
 * session, then consent, then the code, all read and written in one transaction. The router
 * renders what comes back: an error page, a sign-in or consent page, or the response to send
 * to the client (`respond`, a code or an error, with `state` and RFC 9207 `iss`).
 */
import { fail, ok, type Result } from "../../../src/errors.ts";
import { audit } from "../audit.ts";
import { authTime, findBrowserSession } from "../browser.ts";
import type { ClientRow } from "../clients.ts";
import { consentCovers, saveConsent } from "../consents.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { issueAuthorizationCode } from "../oauth/codes.ts";
import * as check from "../oauth/authorize-checks.ts";
import type { Runtime } from "../runtime.ts";

export interface AuthorizeInput {
  params: check.Params;
  /** Names of parameters that arrived more than once. */
  duplicates: string[];
  /** Milliseconds: when the request first reached `/oauth/authorize` (carried through the pages). */
  requestedAt: number;
  cookieHash: string | null;
  /** The user's answer on the consent page, when this call comes from it. */
  decision: "allow" | "deny" | null;
  meta: RequestMeta;
}

export interface ClientView {
  clientId: string;
  name: string;
  logoUri: string | null;
  clientUri: string | null;
}

export type AuthorizeOutcome =
  /** Not safe to redirect: show this on an error page. */
  | { kind: "error_page"; error: string; description: string }
  /** Send these parameters to the client's redirect URI. */
  | { kind: "respond"; redirectUri: string; mode: "query" | "form_post"; params: Record<string, string> }
  | { kind: "login"; client: ClientView; loginHint: string | null }
  /** `idp={id}` named an enabled upstream provider: straight to it, without the sign-in page. */
  | { kind: "idp"; providerId: string }
  | { kind: "consent"; client: ClientView; scopes: string[]; who: string };

export const clientView = (c: ClientRow): ClientView => ({
  clientId: c.client_id,
  name: c.client_name ?? c.client_id,
  logoUri: c.logo_uri ?? null,
  clientUri: c.client_uri ?? null,
});

export async function authorize(rt: Runtime, i: AuthorizeInput): Promise<Result<AuthorizeOutcome>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  if (!Number.isFinite(i.requestedAt)) return fail("invalid_request");
  const r = rt.tx(ctx, () => decide(ctx, i));
  await rt.commit(ctx);
  return ok(r);
}

function decide(ctx: TenantCtx, i: AuthorizeInput): AuthorizeOutcome {
  const p = i.params;
  const c = check.checkClient(ctx, p, i.duplicates);
  if (!c.ok) return { kind: "error_page", error: c.error, description: c.description };
  const client = c.value;
  const ru = check.checkRedirectUri(client, p, i.duplicates);
  if (!ru.ok) return { kind: "error_page", error: ru.error, description: ru.description };
  const redirectUri = ru.value;
  // From here on, the client is who it says and the URI is its own: refusals go back to it.
  const mode = check.checkResponseMode(p);
  const base = { redirectUri, mode: mode.ok ? mode.value : ("query" as const) };
  const reply = (params: Record<string, string>): AuthorizeOutcome => {
    const out: Record<string, string> = { ...params };
    if (p.state !== undefined) out.state = p.state;
    out.iss = ctx.issuer; // RFC 9207 section 2
    return { kind: "respond", ...base, params: out };
  };
  const error = (e: { error: string; description: string }) => reply({ error: e.error, error_description: e.description });
  if (!mode.ok) return error(mode);
  const dup = check.checkDuplicates(i.duplicates);
  if (!dup.ok) return error(dup);
  const unsupported = check.checkUnsupported(p);
  if (!unsupported.ok) return error(unsupported);
  const rt = check.checkResponseType(client, p);
  if (!rt.ok) return error(rt);
  const lengths = check.checkLengths(p);
  if (!lengths.ok) return error(lengths);
  const pkce = check.checkPkce(p);
  if (!pkce.ok) return error(pkce);
  const scope = check.checkScope(ctx, client, p);
  if (!scope.ok) return error(scope);
  const prompt = check.checkPrompt(p);
  if (!prompt.ok) return error(prompt);
  const maxAge = check.checkMaxAge(p);
  if (!maxAge.ok) return error(maxAge);
  const resource = check.checkResource(p);
  if (!resource.ok) return error(resource);

  // The user: the browser's live session, recent enough for prompt=login and max_age.
  const who = findBrowserSession(ctx, i.cookieHash);
  const at = who ? authTime(who.session) : 0;
  if (check.needsLogin({ signedIn: !!who, authTime: at, requestedAt: i.requestedAt, prompt: prompt.value, maxAge: maxAge.value, now: ctx.now })) {
    if (prompt.value.has("none")) return error({ error: "login_required", description: "The user is not signed in." });
    const idp = check.checkIdp(ctx, p);
    if (!idp.ok) return error(idp);
    if (idp.value) return { kind: "idp", providerId: idp.value };
    return { kind: "login", client: clientView(client), loginHint: p.login_hint ?? null };
  }
  const { user, session } = who!;

  // Consent: a first-party client needs none; any other needs the user's yes to every scope it
  // asks for, remembered per client (offline_access included, OIDC Core section 11).
  if (i.decision === "deny") return error({ error: "access_denied", description: "The user denied the request." });
  if (i.decision === "allow") {
    if (!client.first_party) saveConsent(ctx, user.id, client.client_id, scope.value);
    audit(ctx, { type: "consent.granted", userId: user.id, sessionId: session.id, meta: i.meta, data: { client_id: client.client_id, scope: scope.value.join(" ") } });
  } else if (prompt.value.has("consent") || (!client.first_party && !consentCovers(ctx.sql, user.id, client.client_id, scope.value))) {
    if (prompt.value.has("none")) return error({ error: "consent_required", description: "The user has not consented to this request." });
    return { kind: "consent", client: clientView(client), scopes: scope.value, who: user.email ?? user.username ?? user.id };
  }

  const code = issueAuthorizationCode(ctx, {
    clientId: client.client_id,
    redirectUri,
    codeChallenge: pkce.value,
    scope: scope.value,
    nonce: p.nonce ?? null,
    sessionId: session.id,
    userId: user.id,
    authTime: at,
    resource: resource.value,
  });
  return reply({ code });
}
