/// <reference types="node" />
/**
 * @module A resource server on plain `node:http` with the verifier of `warden/client` (an
 * installed package imports from "warden/client" instead of the source path). `requireToken`
 * is `(req, res, next)` middleware, the shape Express takes as is (see the README). Run it with
 * `WARDEN_URL=http://127.0.0.1:8787 TENANT=acme WARDEN_KEY=… node test/examples/node-server.ts`;
 * test/examples/examples.test.ts drives it against a real server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createVerifier, type AccessTokenClaims, type Verifier } from "../../src/client/index.ts";

export type Authed = IncomingMessage & { warden?: AccessTokenClaims };

function deny(res: ServerResponse, status: number, code: string, headers: Record<string, string>): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers }).end(JSON.stringify({ error: { code, message: code } }));
}

/**
 * 401 with an RFC 6750 section 3 challenge for a missing or bad token (signature, `iss`, `aud`,
 * expired, revoked); 503 with `Retry-After` when the verifier cannot tell (Warden unreachable):
 * never 401 for an outage, which a client would take for a dead token.
 */
export function requireToken(verifier: Pick<Verifier, "verify">, o: { retryAfterS?: number } = {}) {
  return async function requireToken(req: Authed, res: ServerResponse, next: (err?: unknown) => void): Promise<void> {
    try {
      const token = /^Bearer ([\x21-\x7e]+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (!token) return deny(res, 401, "unauthorized", { "www-authenticate": 'Bearer realm="api"' });
      const r = await verifier.verify(token);
      if (r.active) return ((req.warden = r.claims), next());
      if (r.reason === "unavailable") return deny(res, 503, "unavailable", { "retry-after": String(o.retryAfterS ?? 5) });
      deny(res, 401, "invalid_token", { "www-authenticate": `Bearer realm="api", error="invalid_token"` });
    } catch (e) {
      next(e);
    }
  };
}

export function exampleNodeServer(o: { wardenUrl: string; issuer?: string; tenant: string; apiKey: string; audience?: string }): { server: Server; verifier: Verifier } {
  const verifier = createVerifier({ baseUrl: o.wardenUrl, issuer: o.issuer, tenant: o.tenant, apiKey: o.apiKey, audience: o.audience, onError: (e) => console.warn("warden:", e) });
  verifier.ready.catch((e) => console.error(`verifier not ready: ${e.message}`));
  const auth = requireToken(verifier);
  const server = createServer((req: Authed, res) => {
    if (!req.url?.startsWith("/api/")) return void res.writeHead(404).end();
    void auth(req, res, (err) => {
      if (err) return void res.writeHead(500).end();
      if (req.url === "/api/me") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ user: req.warden!.sub }));
      res.writeHead(404).end();
    });
  });
  server.on("close", () => verifier.close());
  return { server, verifier };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const { server } = exampleNodeServer({ wardenUrl: env.WARDEN_URL!, issuer: env.WARDEN_ISSUER, tenant: env.TENANT!, apiKey: env.WARDEN_KEY! });
  server.listen(Number(env.PORT ?? 3000), () => console.log(`resource server on http://localhost:${env.PORT ?? 3000}`));
}
