/// <reference types="node" />
/**
 * @module The README's resource server: Hono on Node (`@hono/node-server`) with the verifier of
 * `warden/client`, reaching Warden on an internal address while checking tokens against its
 * public issuer. Run it with
 * `WARDEN_URL=http://127.0.0.1:8787 WARDEN_ISSUER=http://127.0.0.1:8787/v1/acme TENANT=acme WARDEN_KEY=… node test/examples/resource-server.ts`
 * (an installed package imports from "warden/client" instead of the source path).
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createVerifier, wardenAuth, type WardenVariables } from "../../src/client/index.ts";

export function exampleResourceServer(o: { wardenUrl: string; issuer?: string; tenant: string; apiKey: string }) {
  const verifier = createVerifier({ baseUrl: o.wardenUrl, issuer: o.issuer, tenant: o.tenant, apiKey: o.apiKey, onError: (e) => console.warn("warden:", e) });
  // A misconfiguration (wrong issuer, wrong algorithms, refused key) is one clear error at start.
  verifier.ready.catch((e) => console.error(`verifier not ready: ${e.message}`));
  const app = new Hono<{ Variables: WardenVariables }>();
  app.use("/api/*", wardenAuth(verifier)); // 401 for a bad token, 503 + Retry-After while Warden cannot vouch for one
  app.get("/api/me", (c) => c.json({ user: c.get("warden").sub, scope: c.get("warden").scope }));
  return { app, verifier };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const { app } = exampleResourceServer({ wardenUrl: env.WARDEN_URL!, issuer: env.WARDEN_ISSUER, tenant: env.TENANT!, apiKey: env.WARDEN_KEY! });
  serve({ fetch: app.fetch, port: Number(env.PORT ?? 3000) }, (i) => console.log(`resource server on http://localhost:${i.port}`));
}
