/** @module Every bad input gets its error and changes nothing. */
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, expectError, newTenant, PASSWORD, signup, snapshot, uniq } from "../helpers.ts";

afterEach(() => clock.reset());

const json = { "content-type": "application/json" };

/** Runs `fn` against a tenant with one user and asserts the tenant's users/sessions/tokens/events did not change. */
async function unchanged(fn: (t: string, s: { access_token: string; refresh_token: string; user: { email: string } }) => Promise<void>) {
  const t = await newTenant();
  const s = await signup(t);
  const before = await snapshot(t);
  await fn(t, s);
  expect(await snapshot(t)).toEqual(before);
}

describe("bad input", () => {
  it.each([
    ["/signup", "{"],
    ["/signup", "{\"email\": \"a@example.com\",}"],
    ["/signup", ""],
    ["/login", "[1, 2"],
    ["/refresh", "nul"],
  ])("malformed JSON on %s is 400 invalid_json", async (path, raw) => {
    await unchanged(async (t) => expectError(await call("POST", `/v1/${t}${path}`, { raw, headers: json }), 400, "invalid_json"));
  });

  it("bytes that are not UTF-8 are 400 invalid_json", async () => {
    await unchanged(async (t) => {
      const raw = new Uint8Array([...new TextEncoder().encode('{"login":"'), 0xff, 0xfe, ...new TextEncoder().encode('","password":"x"}')]);
      expectError(await call("POST", `/v1/${t}/login`, { raw, headers: json }), 400, "invalid_json");
    });
  });

  it.each([
    ["/signup", undefined],
    ["/signup", "text/plain"],
    ["/login", "application/x-www-form-urlencoded"],
    ["/signup", "multipart/form-data; boundary=x"],
  ])("a wrong content type on %s (%s) is 415 unsupported_media_type", async (path, type) => {
    await unchanged(async (t, s) => {
      const headers: Record<string, string> = type ? { "content-type": type } : {};
      expectError(await call("POST", `/v1/${t}${path}`, { raw: JSON.stringify({ login: s.user.email, password: PASSWORD }), headers }), 415, "unsupported_media_type");
    });
  });

  it("a wrong content type on PATCH /me is 415", async () => {
    await unchanged(async (t, s) => {
      expectError(await call("PATCH", `/v1/${t}/me`, { token: s.access_token, raw: "current_password=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type");
    });
  });

  it("a body over 16 KiB is 413 payload_too_large", async () => {
    await unchanged(async (t, s) => {
      const big = JSON.stringify({ email: `${uniq()}@example.com`, password: PASSWORD, metadata: { x: "y".repeat(17 * 1024) } });
      expectError(await call("POST", `/v1/${t}/signup`, { raw: big, headers: json }), 413, "payload_too_large");
      expectError(await call("POST", `/v1/${t}/refresh`, { raw: JSON.stringify({ refresh_token: "x".repeat(17 * 1024) }), headers: json }), 413, "payload_too_large");
      expectError(await call("POST", `/v1/${t}/logout`, { token: s.access_token, raw: "x".repeat(17 * 1024), headers: json }), 413, "payload_too_large");
    });
  });

  it("a body over 16 KiB sent without Content-Length (streamed) is 413 too", async () => {
    await unchanged(async (t) => {
      const chunk = new TextEncoder().encode("x".repeat(4096));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ < 6) c.enqueue(chunk);
          else c.close();
        },
      });
      expectError(await call("POST", `/v1/${t}/signup`, { raw: body, headers: json }), 413, "payload_too_large");
    });
  });

  it("an unknown field is 400 invalid_request naming it", async () => {
    await unchanged(async (t, s) => {
      const r = await call("POST", `/v1/${t}/signup`, { body: { email: `${uniq()}@example.com`, password: PASSWORD, role: "admin" } });
      expectError(r, 400, "invalid_request");
      expect(r.body.error.details).toEqual([expect.objectContaining({ code: "unrecognized_keys", message: expect.stringContaining("role") })]);
      expectError(await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD, remember: true } }), 400, "invalid_request");
      expectError(await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: s.refresh_token, scope: "x" } }), 400, "invalid_request");
    });
  });

  it("wrong types are 400 invalid_request with details", async () => {
    await unchanged(async (t) => {
      const r = await call("POST", `/v1/${t}/login`, { body: { login: 42, password: ["x"] } });
      expectError(r, 400, "invalid_request");
      expect(r.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["login", "password"]);
      expectError(await call("POST", `/v1/${t}/signup`, { body: [] }), 400, "invalid_request");
      expectError(await call("POST", `/v1/${t}/signup`, { body: null }), 400, "invalid_request");
    });
  });

  it.each([
    ["a password", (e: string) => ({ email: e, password: "correct horse \ud800 staple" })],
    ["an email", (e: string) => ({ email: `\ud800${e}`, password: PASSWORD })],
    ["a metadata key", (e: string) => ({ email: e, password: PASSWORD, metadata: { "k\udc00": 1 } })],
  ])("a lone surrogate in %s is 400 invalid_request", async (_what, make) => {
    await unchanged(async (t) => {
      // JSON.stringify escapes a lone surrogate as \ud800, which JSON.parse turns back into one.
      const r = await call("POST", `/v1/${t}/signup`, { body: make(`${uniq()}@example.com`) });
      expectError(r, 400, "invalid_request");
    });
  });

  it.each([["tab", "user\tname"], ["newline", "user\nname"], ["NUL", "user\u0000name"], ["DEL", "user\u007fname"], ["C1", "user\u0085name"], ["zero-width space", "user\u200bname"]])(
    "a control character (%s) in a username is 400 invalid_request",
    async (_what, username) => {
      await unchanged(async (t) => {
        const r = await call("POST", `/v1/${t}/signup`, { body: { username, password: PASSWORD } });
        expectError(r, 400, "invalid_request");
        expect(r.body.error.details[0].path).toBe("username");
      });
    },
  );

  it("a control character in an email or a login is 400 invalid_request", async () => {
    await unchanged(async (t, s) => {
      expectError(await call("POST", `/v1/${t}/signup`, { body: { email: `a\u0000${uniq()}@example.com`, password: PASSWORD } }), 400, "invalid_request");
      expectError(await call("POST", `/v1/${t}/login`, { body: { login: `${s.user.email}\n`, password: PASSWORD } }), 400, "invalid_request");
    });
  });

  it("a control character in a password is 400 password_policy", async () => {
    await unchanged(async (t) => {
      expectError(await call("POST", `/v1/${t}/signup`, { body: { email: `${uniq()}@example.com`, password: "correct horse\u0000battery" } }), 400, "password_policy");
    });
  });

  it("a forged, truncated or garbage bearer token on a revoking route is 401 invalid_token and revokes nothing", async () => {
    await unchanged(async (t, s) => {
      const [h, p, sig] = s.access_token.split(".");
      for (const token of [`${h}.${p}.${sig.slice(0, -3)}AAA`, `${h}.${p}`, "garbage", `${h}.${p}.`]) {
        expectError(await call("POST", `/v1/${t}/logout-all`, { token }), 401, "invalid_token");
        expectError(await call("POST", `/v1/${t}/logout`, { token }), 401, "invalid_token");
        expectError(await call("DELETE", `/v1/${t}/me`, { token, body: { password: PASSWORD } }), 401, "invalid_token");
      }
    });
  });

  it("an expired token on logout-all is 401 invalid_token and revokes nothing", async () => {
    await unchanged(async (t, s) => {
      clock.advance(3601_000);
      expectError(await call("POST", `/v1/${t}/logout-all`, { token: s.access_token }), 401, "invalid_token");
      clock.reset();
    });
  });

  it("another tenant's token on logout-all is 401 invalid_token and revokes nothing on either side", async () => {
    const other = await newTenant();
    const o = await signup(other);
    const beforeOther = await snapshot(other);
    await unchanged(async (t) => {
      expectError(await call("POST", `/v1/${t}/logout-all`, { token: o.access_token }), 401, "invalid_token");
    });
    expect(await snapshot(other)).toEqual(beforeOther);
  });

  it("another tenant's refresh token is 401 invalid_token and changes nothing on either side", async () => {
    const other = await newTenant();
    const o = await signup(other);
    const beforeOther = await snapshot(other);
    await unchanged(async (t) => {
      expectError(await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: o.refresh_token } }), 401, "invalid_token");
    });
    expect(await snapshot(other)).toEqual(beforeOther);
  });

  it("an unknown tenant's routes are 404 tenant_not_found even with a valid body", async () => {
    expectError(await call("POST", `/v1/${uniq("nx")}/login`, { body: { login: "a@example.com", password: PASSWORD } }), 404, "tenant_not_found");
  });
});
