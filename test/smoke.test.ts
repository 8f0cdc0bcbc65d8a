import { SELF, env } from "cloudflare:test";
import { it, expect } from "vitest";
it("works", async () => {
  const r = await SELF.fetch("http://x/");
  expect(await r.json()).toEqual({ ok: 1 });
  const row = await env.DB.prepare("select count(*) as n from tenants").first();
  expect(row).toEqual({ n: 0 });
});
