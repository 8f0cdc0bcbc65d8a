/** @module verifyIdTokenHint: our ID tokens, expired ones included (RP-initiated logout); nothing else. */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { verifyIdTokenHint } from "../../objects/tenant/oauth/id-token.ts";
import { newTenant, stub } from "../helpers.ts";
import { codeFor, newClient, redeem } from "./kit.ts";

const hint = (slug: string, token: string) =>
  runInDurableObject(stub(slug), async (o) => {
    const b = await o.begin();
    if (!b.ok) throw new Error("no tenant");
    return verifyIdTokenHint(o, b.value, token);
  });

describe("id_token_hint", () => {
  it("accepts an ID token we issued, expired or not, and names its sub, sid and client", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const { code, verifier, user } = await codeFor(t, client.client_id);
    const r = await redeem(t, client, code, verifier);
    expect(await hint(t, r.body.id_token)).toMatchObject({ sub: user.user.id, sid: user.session_id, aud: client.client_id });
    clock.advance(2 * 3600_000);
    try {
      expect(await hint(t, r.body.id_token)).toMatchObject({ sid: user.session_id });
    } finally {
      clock.reset();
    }
  });

  it("refuses an access token, a tampered token, and another tenant's ID token", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const client = await newClient(t);
    const oc = await newClient(other);
    const { code, verifier } = await codeFor(t, client.client_id);
    const r = await redeem(t, client, code, verifier);
    expect(await hint(t, r.body.access_token)).toBeNull();
    const [h, p, s] = r.body.id_token.split(".");
    const forged = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    forged.sub = "someone-else";
    const fp = btoa(JSON.stringify(forged)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(await hint(t, `${h}.${fp}.${s}`)).toBeNull();
    const o = await codeFor(other, oc.client_id);
    const ro = await redeem(other, oc, o.code, o.verifier);
    expect(await hint(t, ro.body.id_token)).toBeNull();
  });
});
