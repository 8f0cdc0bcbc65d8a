/** @module OIDC Back-Channel Logout: a signed logout token to each client of an ended session, through the outbox, retried, a 400 final. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clock } from "../../src/clock.ts";
import { BACKCHANNEL_EVENT, BACKCHANNEL_RETRY_WINDOW_MS } from "../../objects/tenant/oauth/backchannel.ts";
import { admin, BASE, call, count, eventually, newTenant, stub } from "../helpers.ts";
import { codeFor, newClient, redeem } from "./kit.ts";

const RP = "https://rp.example/backchannel";
let received: { token: string }[] = [];
let answer: number | "down" = 200;

beforeEach(() => {
  received = [];
  answer = 200;
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (req.url !== RP) return real(input, init);
    if (answer === "down") throw new TypeError("Network connection lost.");
    // The body is a form (OIDC Back-Channel Logout section 2.5): read it as one.
    received.push({ token: String((await req.formData()).get("logout_token")) });
    return new Response(null, { status: answer });
  });
});
afterEach(() => {
  clock.reset();
  vi.restoreAllMocks();
});

async function signedIn(t: string) {
  const client = await newClient(t, { backchannel_logout_uri: RP });
  const plain = await newClient(t); // no back-channel URI: nothing is sent to it
  const { code, verifier, user } = await codeFor(t, client.client_id);
  expect((await redeem(t, client, code, verifier)).status).toBe(200);
  const p = await codeFor(t, plain.client_id, { user });
  expect((await redeem(t, plain, p.code, p.verifier)).status).toBe(200);
  return { client, user };
}

const pending = (t: string) => count(t, "outbox", "kind = 'backchannel'");

describe("back-channel logout", () => {
  it("logout sends the client a logout token per section 2.4, verifiable with the JWKS", async () => {
    const t = await newTenant();
    const { client, user } = await signedIn(t);
    expect((await call("POST", `/v1/${t}/logout`, { token: user.access_token })).status).toBe(204);
    await eventually(async () => received.length === 1);
    const jwks = createLocalJWKSet((await call("GET", `/v1/${t}/.well-known/jwks.json`)).body);
    const { payload, protectedHeader } = await jwtVerify(received[0].token, jwks, { issuer: `${BASE}/v1/${t}`, audience: client.client_id, typ: "logout+jwt" });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload).toMatchObject({ sub: user.user.id, sid: user.session_id, events: { [BACKCHANNEL_EVENT]: {} } });
    expect(typeof payload.jti).toBe("string");
    expect(payload).not.toHaveProperty("nonce");
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
    expect(await eventually(async () => (await pending(t)) === 0)).toBe(true);
  });

  // ASVS 7.6.1
  it("every way a session ends sends one: logout-all, admin revoke, disable, expiry", async () => {
    for (const end of ["logout-all", "admin-revoke", "disable", "expiry"] as const) {
      received = [];
      const t = await newTenant();
      const { user } = await signedIn(t);
      if (end === "logout-all") await call("POST", `/v1/${t}/logout-all`, { token: user.access_token });
      if (end === "admin-revoke") await admin("POST", `/tenants/${t}/users/${user.user.id}/revoke`);
      if (end === "disable") await admin("PATCH", `/tenants/${t}/users/${user.user.id}`, { status: "disabled" });
      if (end === "expiry") {
        clock.advance(8 * 86_400_000); // past the 7-day idle expiry
        await runDurableObjectAlarm(stub(t));
      }
      await eventually(async () => received.length === 1);
      expect(received, end).toHaveLength(1);
      clock.reset();
    }
  });

  it("a receiver that is down is retried with the same jti until it recovers; nothing is lost", async () => {
    const t = await newTenant();
    const { user } = await signedIn(t);
    answer = "down";
    await call("POST", `/v1/${t}/logout`, { token: user.access_token });
    await eventually(async () => (await count(t, "outbox", "kind = 'backchannel' AND attempts > 0")) === 1);
    answer = 503;
    clock.advance(60_000);
    await runDurableObjectAlarm(stub(t));
    expect(received).toHaveLength(1);
    expect(await pending(t)).toBe(1);
    answer = 200;
    clock.advance(10 * 60_000);
    await runDurableObjectAlarm(stub(t));
    expect(received).toHaveLength(2);
    const jti = (tok: string) => JSON.parse(atob(tok.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).jti;
    expect(jti(received[1].token)).toBe(jti(received[0].token));
    expect(received[1].token).not.toBe(received[0].token); // re-signed
    expect(await pending(t)).toBe(0);
  });

  it("a 400 from the RP is final; past the retry window a receiver that never recovers is given up", async () => {
    const t = await newTenant();
    const { user } = await signedIn(t);
    answer = 400;
    await call("POST", `/v1/${t}/logout`, { token: user.access_token });
    await eventually(async () => received.length === 1);
    expect(await eventually(async () => (await pending(t)) === 0)).toBe(true);

    const t2 = await newTenant();
    const s2 = await signedIn(t2);
    answer = 500;
    await call("POST", `/v1/${t2}/logout`, { token: s2.user.access_token });
    await eventually(async () => received.length === 2);
    clock.advance(BACKCHANNEL_RETRY_WINDOW_MS + 60_000);
    await runDurableObjectAlarm(stub(t2));
    expect(await pending(t2)).toBe(0);
  });

  it("revoking one grant by its client sends nothing (the client asked for it)", async () => {
    const t = await newTenant();
    const client = await newClient(t, { backchannel_logout_uri: RP, token_endpoint_auth_method: "none" });
    const { code, verifier } = await codeFor(t, client.client_id);
    const r = await redeem(t, client, code, verifier);
    const { form } = await import("./kit.ts");
    expect((await form(t, "/revoke", { token: r.body.refresh_token, client_id: client.client_id })).status).toBe(200);
    expect(await pending(t)).toBe(0);
    expect(received).toHaveLength(0);
  });
});
