import { describe, expect, it } from "vitest";
import { apiKey, call, introspect, newTenant, signup } from "../helpers.ts";

describe("core flow", () => {
  it("signs up, logs in, refreshes, introspects, logs out", async () => {
    const t = await newTenant();
    const s = await signup(t, { email: "a@example.com" });
    expect(s.token_type).toBe("Bearer");
    const login = await call("POST", `/v1/${t}/login`, { body: { login: "A@Example.com", password: "correct horse battery staple" } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const r = await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: login.body.refresh_token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const key = await apiKey(t);
    expect((await introspect(t, key, r.body.access_token)).active).toBe(true);
    const me = await call("GET", `/v1/${t}/me`, { token: r.body.access_token });
    expect(me.body.email).toBe("a@example.com");
    expect((await call("POST", `/v1/${t}/logout`, { token: r.body.access_token })).status).toBe(204);
    expect((await introspect(t, key, r.body.access_token)).active).toBe(false);
  });
});
