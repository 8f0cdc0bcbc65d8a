/**
 * @module A Worker resource server with the verifier of `warden/client` (an installed package
 * imports from "warden/client"). A socket cannot outlive a request outside a Durable Object, so
 * the verifier lives in one (`TokenVerifier`, one per tenant by name), and the Worker's Hono app
 * asks it over RPC through `wardenAuth`, which takes anything with `verify`. Bind Warden as a
 * service binding `WARDEN` and the JWKS, the events socket and introspection never leave
 * Cloudflare; without one it is reached at `WARDEN_URL`. test/examples/examples.test.ts bundles
 * it and runs it in Miniflare against a real server.
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { createVerifier, defaultConnect, wardenAuth, type Verifier, type VerifyResult, type WardenVariables } from "../../src/client/index.ts";

export interface Env {
  TOKEN_VERIFIER: DurableObjectNamespace<TokenVerifier>;
  WARDEN?: Fetcher;
  /** Where this Worker reaches Warden (with `WARDEN`, any URL: the binding takes the request). */
  WARDEN_URL: string;
  /** `{PUBLIC_URL}/v1/{tenant}` when `WARDEN_URL` is not the public address. */
  WARDEN_ISSUER?: string;
  TENANT: string;
  WARDEN_KEY: string;
  /** The `aud` this API accepts; default the tenant slug. */
  AUDIENCE?: string;
}

export class TokenVerifier extends DurableObject<Env> {
  readonly #v: Verifier;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const fetch = env.WARDEN ? (input: string, init?: RequestInit) => env.WARDEN!.fetch(input, init) : (input: string, init?: RequestInit) => globalThis.fetch(input, init);
    this.#v = createVerifier({
      baseUrl: env.WARDEN_URL,
      issuer: env.WARDEN_ISSUER || undefined,
      tenant: env.TENANT,
      apiKey: env.WARDEN_KEY,
      audience: env.AUDIENCE || undefined,
      fetch,
      connect: defaultConnect({ fetch }),
    });
  }

  verify(token: string): Promise<VerifyResult> {
    return this.#v.verify(token);
  }

  /** Resolves once the subscriber has caught up (rejects with the configuration problem). */
  async ready(): Promise<void> {
    await this.#v.ready;
  }
}

const verifierOf = (env: Env) => env.TOKEN_VERIFIER.get(env.TOKEN_VERIFIER.idFromName(env.TENANT));

type AppEnv = { Bindings: Env; Variables: WardenVariables };
const app = new Hono<AppEnv>();
app.use("/api/*", (c, next) => wardenAuth<AppEnv>({ verify: (t) => verifierOf(c.env).verify(t) as Promise<VerifyResult> })(c, next));
app.get("/api/me", (c) => c.json({ user: c.get("warden").sub }));
app.get("/ready", async (c) => (await verifierOf(c.env).ready(), c.text("ready")));

export default app;
