/// <reference types="node" />
/**
 * @module A resource server on Express with the verifier of `warden/client` (an installed
 * package imports from "warden/client" instead of the source path). The middleware is
 * node-server.ts's `requireToken`, which has Express's `(req, res, next)` shape, so it is used
 * as it is. Run it with
 * `WARDEN_URL=http://127.0.0.1:8787 TENANT=acme WARDEN_KEY=… node test/examples/express-server.ts`;
 * test/examples/examples.test.ts drives it against a real server.
 */
import express from "express";
import type { Server } from "node:http";
import { createVerifier, type Verifier } from "../../src/client/index.ts";
import { requireToken, type Authed } from "./node-server.ts";

export function exampleExpressApp(o: { wardenUrl: string; issuer?: string; tenant: string; apiKey: string; audience?: string }): { app: express.Express; verifier: Verifier } {
  const verifier = createVerifier({ baseUrl: o.wardenUrl, issuer: o.issuer, tenant: o.tenant, apiKey: o.apiKey, audience: o.audience, onError: (e) => console.warn("warden:", e) });
  const app = express();
  app.use("/api", requireToken(verifier));
  app.get("/api/me", (req, res) => void res.json({ user: (req as Authed).warden!.sub }));
  return { app, verifier };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const { app } = exampleExpressApp({ wardenUrl: env.WARDEN_URL!, issuer: env.WARDEN_ISSUER, tenant: env.TENANT!, apiKey: env.WARDEN_KEY! });
  const server: Server = app.listen(Number(env.PORT ?? 3000), () => console.log(`resource server on http://localhost:${env.PORT ?? 3000}`));
  process.on("SIGTERM", () => server.close());
}
