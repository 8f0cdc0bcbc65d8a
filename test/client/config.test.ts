/**
 * The verifier's configuration: an `issuer` apart from `baseUrl` (a resource server that reaches
 * Warden on an internal address), and one clear error from `ready` when the issuer or the
 * JWKS does not fit, instead of every token coming back `invalid`.
 */
import { describe, expect, it } from "vitest";
import { apiKey, BASE, newTenant, signup } from "../helpers.ts";
import { harness } from "./harness.ts";

const INTERNAL = "http://warden.internal:8080";

describe("verifier configuration", () => {
  it("reaches Warden on an internal address and checks tokens against the public issuer", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t), { baseUrl: INTERNAL, issuer: `${BASE}/v1/${t}` });
    await h.v.ready;
    const u = await signup(t);
    expect(await h.v.verify(u.access_token)).toMatchObject({ active: true, via: "local" });
    expect(h.requests.some((r) => r.includes("jwks"))).toBe(true);
    h.v.close();
  });

  it("an internal address without `issuer`: ready rejects with issuer_mismatch, naming the issuer to set", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t), { baseUrl: INTERNAL });
    await expect(h.v.ready).rejects.toMatchObject({ name: "VerifierConfigError", code: "issuer_mismatch", message: expect.stringContaining(`${BASE}/v1/${t}`) });
    h.v.close();
  });

  it("algorithms that the tenant's JWKS has no key for: ready rejects with no_usable_key", async () => {
    const t = await newTenant(); // EdDSA
    const h = harness(t, await apiKey(t), { algorithms: ["ES256"] });
    await expect(h.v.ready).rejects.toMatchObject({ name: "VerifierConfigError", code: "no_usable_key" });
    h.v.close();
  });
});
