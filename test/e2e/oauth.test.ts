/// <reference types="node" />
/**
 * @module The OAuth / OpenID Connect provider end to end against a real `wrangler dev`:
 * clients registered with the admin CLI, `oauth4webapi` for discovery, `client_credentials`,
 * introspection and revocation with client authentication, and `openid-client` (v6) discovery
 * and its own client_credentials call. (The code flow through the hosted pages is the pages' e2e.)
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import * as oauth from "oauth4webapi";
import * as client from "openid-client";
import { runCli } from "./cli.ts";
import { useServer } from "./server.ts";

const server = useServer();

async function cli(...args: string[]): Promise<any> {
  const r = await runCli(["--url", server.url, "--token", server.adminToken, ...args, "--json"]);
  assert.equal(r.code, 0, `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
  return JSON.parse(r.stdout);
}

async function tenant(): Promise<string> {
  const slug = `oa-${randomBytes(4).toString("hex")}`;
  await cli("tenants", "create", slug, "--name", slug);
  return slug;
}

async function machineClient(slug: string): Promise<{ client_id: string; client_secret: string }> {
  return cli("clients", "create", slug, "--name", "Reports job", "--grant", "client_credentials", "--scope", "reports:read reports:write");
}

const insecure = { [oauth.allowInsecureRequests]: true };

test("oauth4webapi: discovery, client_credentials, then introspection and revocation with client authentication", async () => {
  const slug = await tenant();
  const m = await machineClient(slug);
  const issuer = new URL(`${server.url}/v1/${slug}`);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...insecure }));
  assert.equal(as.issuer, issuer.href);
  assert.deepEqual(as.code_challenge_methods_supported, ["S256"]);
  const c: oauth.Client = { client_id: m.client_id };
  const auth = oauth.ClientSecretBasic(m.client_secret);
  const tokens = await oauth.processClientCredentialsResponse(as, c, await oauth.clientCredentialsGrantRequest(as, c, auth, { scope: "reports:read" }, insecure));
  assert.equal(tokens.token_type, "bearer");
  assert.equal(tokens.scope, "reports:read");
  assert.equal(tokens.refresh_token, undefined);
  const info = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth, tokens.access_token, insecure));
  assert.equal(info.active, true);
  assert.equal(info.sub, m.client_id);
  assert.equal(info.client_id, m.client_id);
  // Another client sees nothing of it.
  const other = await machineClient(slug);
  const foreign = await oauth.processIntrospectionResponse(as, { client_id: other.client_id }, await oauth.introspectionRequest(as, { client_id: other.client_id }, oauth.ClientSecretBasic(other.client_secret), tokens.access_token, insecure));
  assert.equal(foreign.active, false);
  // A wrong secret is RFC 6749's invalid_client: 401 with a Basic challenge (oauth4webapi reports the challenge).
  const bad = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic("wrong"), {}, insecure);
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get("www-authenticate") ?? "", /^Basic /);
  assert.equal(((await bad.clone().json()) as { error: string }).error, "invalid_client");
  await assert.rejects(async () => oauth.processClientCredentialsResponse(as, c, bad), (e: any) => e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401);
  // Revocation by the client: the token is dead for everyone, API keys included.
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, tokens.access_token, insecure));
  const after = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth, tokens.access_token, insecure));
  assert.equal(after.active, false);
});

test("openid-client v6: discovery against the metadata, then its client_credentials and introspection", async () => {
  const slug = await tenant();
  const m = await machineClient(slug);
  // The registered method (client_secret_basic): the server holds a client to it (RFC 7591 section 2).
  const config = await client.discovery(new URL(`${server.url}/v1/${slug}`), m.client_id, undefined, client.ClientSecretBasic(m.client_secret), { execute: [client.allowInsecureRequests] });
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, `${server.url}/v1/${slug}`);
  assert.equal(meta.token_endpoint, `${server.url}/v1/${slug}/oauth/token`);
  assert.equal(meta.authorization_endpoint, `${server.url}/v1/${slug}/oauth/authorize`);
  assert.equal(meta.authorization_response_iss_parameter_supported, true);
  assert.ok(meta.id_token_signing_alg_values_supported?.includes("RS256"));
  const tokens = await client.clientCredentialsGrant(config, { scope: "reports:write" });
  assert.equal(tokens.scope, "reports:write");
  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.active, true);
  // The RFC 8414 document at the host root (path insertion) is the same one.
  const root = await fetch(`${server.url}/.well-known/oauth-authorization-server/v1/${slug}`);
  assert.deepEqual(await root.json(), meta);
});

test("admin CLI: clients list, show, update, rotate-secret and delete", async () => {
  const slug = await tenant();
  const web = await cli("clients", "create", slug, "--name", "Web", "--redirect-uri", "https://app.example/cb", "--first-party");
  assert.equal(web.first_party, true);
  assert.match(web.client_secret, /^[A-Za-z0-9_-]{43}$/);
  const list = await cli("clients", "list", slug);
  assert.deepEqual(list.clients.map((x: any) => x.client_id), [web.client_id]);
  const shown = await cli("clients", "show", slug, web.client_id);
  assert.equal(shown.client_secret, undefined);
  const updated = await cli("clients", "update", slug, web.client_id, "--redirect-uri", "https://app.example/cb", "--redirect-uri", "http://127.0.0.1/cb");
  assert.deepEqual(updated.redirect_uris, ["https://app.example/cb", "http://127.0.0.1/cb"]);
  const rotated = await cli("clients", "rotate-secret", slug, web.client_id);
  assert.notEqual(rotated.client_secret, web.client_secret);
  const table = await runCli(["--url", server.url, "--token", server.adminToken, "clients", "list", slug]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /CLIENT_ID/);
  assert.match(table.stdout, new RegExp(web.client_id));
  await cli("clients", "delete", slug, web.client_id);
  const gone = await runCli(["--url", server.url, "--token", server.adminToken, "clients", "show", slug, web.client_id]);
  assert.notEqual(gone.code, 0);
});
