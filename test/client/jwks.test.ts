/** The client library's JWKS cache: refetch on an unknown kid, rate-limited; failures keep the keys we have. */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createJwks, JwksUnavailableError } from "../../src/client/jwks.ts";

async function key(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig", warden_use: "access_token" } };
}

const sign = (k: Awaited<ReturnType<typeof key>>) => new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "EdDSA", kid: k.kid }).sign(k.privateKey);

function server() {
  const s = { keys: [] as unknown[], calls: 0, fail: false };
  const fetch = async () => {
    s.calls++;
    if (s.fail) throw new Error("down");
    return Response.json({ keys: s.keys });
  };
  return { s, fetch };
}

describe("createJwks", () => {
  it("fetches once, then serves from memory", async () => {
    const a = await key("a");
    const { s, fetch } = server();
    s.keys = [a.jwk];
    const jwks = createJwks({ url: "https://x/jwks.json", fetch });
    const token = await sign(a);
    for (let i = 0; i < 3; i++) await jwks.getKey({ alg: "EdDSA", kid: "a" }, { payload: "", signature: "", protected: token.split(".")[0] } as never);
    expect(s.calls).toBe(1);
  });

  it("refetches on an unknown kid (a rotation), at most once per cooldown", async () => {
    const a = await key("a");
    const b = await key("b");
    const { s, fetch } = server();
    s.keys = [a.jwk];
    let now = 0;
    const jwks = createJwks({ url: "https://x/jwks.json", fetch, clock: { now: () => now }, cooldownMs: 30_000 });
    await jwks.getKey({ alg: "EdDSA", kid: "a" }, {} as never);
    now = 31_000;
    s.keys = [a.jwk, b.jwk];
    await expect(jwks.getKey({ alg: "EdDSA", kid: "b" }, {} as never)).resolves.toBeTruthy();
    expect(s.calls).toBe(2);
    // made-up kids do not make us hammer the endpoint
    for (let i = 0; i < 5; i++) await expect(jwks.getKey({ alg: "EdDSA", kid: `nope${i}` }, {} as never)).rejects.toThrow();
    expect(s.calls).toBe(2);
    now = 62_000;
    await expect(jwks.getKey({ alg: "EdDSA", kid: "nope" }, {} as never)).rejects.toThrow();
    expect(s.calls).toBe(3);
  });

  it("keeps only keys of its purpose, use sig and an accepted alg", async () => {
    const ok = await key("ok");
    const set = await key("set");
    const noUse = await key("nouse");
    const encryption = await key("enc");
    const untagged = await key("untagged");
    const { s, fetch } = server();
    s.keys = [ok.jwk, { ...set.jwk, warden_use: "set" }, { ...noUse.jwk, use: undefined }, { ...encryption.jwk, use: "enc" }, { ...untagged.jwk, warden_use: undefined }];
    const jwks = createJwks({ url: "https://x/jwks.json", fetch });
    await expect(jwks.getKey({ alg: "EdDSA", kid: "ok" }, {} as never)).resolves.toBeTruthy();
    for (const kid of ["set", "nouse", "enc", "untagged"]) await expect(jwks.getKey({ alg: "EdDSA", kid }, {} as never)).rejects.toThrow();
    const setOnly = createJwks({ url: "https://x/jwks.json", fetch, purpose: "set" });
    await expect(setOnly.getKey({ alg: "EdDSA", kid: "set" }, {} as never)).resolves.toBeTruthy();
    await expect(setOnly.getKey({ alg: "EdDSA", kid: "ok" }, {} as never)).rejects.toThrow();
    const es256Only = createJwks({ url: "https://x/jwks.json", fetch, algorithms: ["ES256"] });
    await expect(es256Only.getKey({ alg: "EdDSA", kid: "ok" }, {} as never)).rejects.toThrow();
  });

  it("keeps the keys it has when a refresh fails; with none, reports unavailable", async () => {
    const a = await key("a");
    const { s, fetch } = server();
    s.fail = true;
    let now = 0;
    const jwks = createJwks({ url: "https://x/jwks.json", fetch, clock: { now: () => now }, maxAgeMs: 1000 });
    await expect(jwks.getKey({ alg: "EdDSA", kid: "a" }, {} as never)).rejects.toBeInstanceOf(JwksUnavailableError);
    s.fail = false;
    s.keys = [a.jwk];
    now = 2000;
    await jwks.getKey({ alg: "EdDSA", kid: "a" }, {} as never);
    s.fail = true;
    now = 10_000; // stale: the refresh fails, the old keys still serve
    await expect(jwks.getKey({ alg: "EdDSA", kid: "a" }, {} as never)).resolves.toBeTruthy();
  });
});
