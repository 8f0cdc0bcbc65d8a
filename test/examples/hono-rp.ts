/// <reference types="node" />
/**
 * @module The README's "Add sign-in to your web app": a complete relying party, Hono on Node
 * with openid-client, signing users in through a Warden tenant's hosted pages. Run it with
 * `ISSUER=… CLIENT_ID=… CLIENT_SECRET=… node test/examples/hono-rp.ts`; test/e2e/oidc.test.ts
 * drives it against a real server.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import * as oidc from "openid-client";

export async function exampleApp(o: { issuer: string; clientId: string; clientSecret: string; appUrl: string }) {
  // allowInsecureRequests only because a local Warden speaks plain http; drop it in production.
  const config = await oidc.discovery(new URL(o.issuer), o.clientId, undefined, oidc.ClientSecretBasic(o.clientSecret), { execute: [oidc.allowInsecureRequests] });
  const logins = new Map<string, { verifier: string; state: string; nonce: string }>();
  const sessions = new Map<string, { email: string; idToken: string; refreshToken?: string }>();
  const app = new Hono();

  app.get("/", (c) => {
    const s = sessions.get(getCookie(c, "app_session") ?? "");
    return c.text(s ? `Hello ${s.email}` : "Signed out");
  });

  app.get("/login", async (c) => {
    const l = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    const id = crypto.randomUUID();
    logins.set(id, l);
    setCookie(c, "app_login", id, { httpOnly: true, sameSite: "Lax", path: "/" });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${o.appUrl}/callback`,
      scope: "openid email offline_access",
      code_challenge: await oidc.calculatePKCECodeChallenge(l.verifier),
      code_challenge_method: "S256",
      state: l.state,
      nonce: l.nonce,
      prompt: "consent",
    });
    return c.redirect(url.href);
  });

  app.get("/callback", async (c) => {
    const l = logins.get(getCookie(c, "app_login") ?? "");
    if (!l) return c.text("No sign-in in progress", 400);
    // Checks state, iss (RFC 9207), the code exchange with PKCE, and the ID token's claims and nonce.
    const tokens = await oidc.authorizationCodeGrant(config, new URL(c.req.url), { pkceCodeVerifier: l.verifier, expectedState: l.state, expectedNonce: l.nonce, idTokenExpected: true });
    const id = crypto.randomUUID();
    sessions.set(id, { email: String(tokens.claims()!.email), idToken: tokens.id_token!, refreshToken: tokens.refresh_token });
    setCookie(c, "app_session", id, { httpOnly: true, sameSite: "Lax", path: "/" });
    return c.redirect("/");
  });

  app.get("/logout", (c) => {
    const s = sessions.get(getCookie(c, "app_session") ?? "");
    if (!s) return c.redirect("/");
    sessions.delete(getCookie(c, "app_session")!);
    return c.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: s.idToken, post_logout_redirect_uri: `${o.appUrl}/` }).href);
  });

  return { app, config, sessions };
}

if (import.meta.main) {
  const appUrl = process.env.APP_URL ?? "http://127.0.0.1:3000";
  const { app } = await exampleApp({ issuer: process.env.ISSUER!, clientId: process.env.CLIENT_ID!, clientSecret: process.env.CLIENT_SECRET!, appUrl });
  serve({ fetch: app.fetch, port: Number(new URL(appUrl).port) });
}
