/**
 * @module Introspection for an authenticated OAuth client (RFC 7662 section 2.1). A client
 * sees only its own tokens (section 4: anything else is `{active: false}`, so a client learns
 * nothing about other clients' or Warden's own tokens). API keys keep the full view
 * (flows/auth.ts).
 */
import type { IntrospectResponse } from "../auth.ts";
import { authenticateClient, type PresentedClient } from "../../oauth/client-auth.ts";
import { badClient, oauthOk, type OAuthResult } from "../../oauth/errors.ts";
import { clientOf, inspect, introspection } from "../../oauth/inspect.ts";
import type { Runtime } from "../../runtime.ts";

export async function clientIntrospect(rt: Runtime, i: { client: PresentedClient; token: string }): Promise<OAuthResult<IntrospectResponse>> {
  const b = await rt.begin();
  if (!b.ok) return badClient();
  const ctx = b.value;
  const auth = authenticateClient(ctx.sql, i.client);
  if (!auth.ok) return auth;
  const t = await inspect(rt, ctx, i.token);
  if (!t || clientOf(t) !== auth.value.client_id) return oauthOk({ active: false });
  return oauthOk(introspection(ctx, t) as IntrospectResponse);
}
