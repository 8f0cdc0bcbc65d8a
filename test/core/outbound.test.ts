/**
 * @module The outbound-request rules (src/http/outbound.ts): which destinations may be called
 * (SSRF, OWASP ASVS 5.0 V1.3.6), redirects never followed, and a deadline on every request.
 */
import { describe, expect, it } from "vitest";
import { checkDestination, outboundFetch, OutboundError } from "../../src/http/outbound.ts";

const PROD = { ENVIRONMENT: "production" };
const DEV = { ENVIRONMENT: "development" };

describe("checkDestination", () => {
  it.each([
    // loopback, in every spelling the URL parser normalises
    "https://127.0.0.1/hook", "https://127.1/", "https://2130706433/", "https://0177.0.0.1/", "https://0x7f.0.0.1/", "https://0x7f000001/",
    "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/",
    // unspecified
    "https://0.0.0.0/", "https://0/", "https://[::]/",
    // private, shared, link-local, metadata
    "https://10.1.2.3/", "https://172.16.0.1/", "https://172.31.255.255/", "https://192.168.1.1/", "https://100.64.0.1/", "https://100.127.255.255/",
    "https://169.254.169.254/latest/meta-data/", "https://[::ffff:169.254.169.254]/", "https://[fd00:ec2::254]/", "https://[fc00::1]/",
    "https://[fe80::1]/", "https://[febf::1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a00:1::]/", "https://[::a00:1]/",
    // multicast and reserved
    "https://224.0.0.1/", "https://255.255.255.255/", "https://[ff02::1]/",
  ])("refuses the address %s", (url) => {
    expect(checkDestination(url, PROD)).toMatchObject({ ok: false, reason: "private_address" });
  });

  it.each(["https://localhost/", "https://localhost./", "https://LOCALHOST/", "https://api.localhost/", "https://printer.local/", "https://metadata.google.internal/", "https://db.internal/", "https://metadata/", "https://nas.home.arpa/", "https://box.localdomain/"])(
    "refuses the internal name %s",
    (url) => expect(checkDestination(url, PROD)).toMatchObject({ ok: false, reason: "private_name" }),
  );

  it.each(["https://hooks.example.com/warden", "https://93.184.215.14/", "https://172.32.0.1/", "https://100.128.0.1/", "https://[2606:4700::1111]/", "https://[::ffff:93.184.215.14]/", "https://hooks.example.test:8443/x?y=1"])(
    "allows the public destination %s",
    (url) => expect(checkDestination(url, PROD).ok).toBe(true),
  );

  it("refuses other schemes, plain http outside development, credentials and garbage", () => {
    expect(checkDestination("http://hooks.example.com/", PROD)).toMatchObject({ ok: false, reason: "scheme" });
    expect(checkDestination("http://hooks.example.com/", {})).toMatchObject({ ok: false, reason: "scheme" });
    expect(checkDestination("ftp://hooks.example.com/", DEV)).toMatchObject({ ok: false, reason: "scheme" });
    expect(checkDestination("file:///etc/passwd", DEV)).toMatchObject({ ok: false, reason: "scheme" });
    expect(checkDestination("https://user:pw@hooks.example.com/", PROD)).toMatchObject({ ok: false, reason: "credentials" });
    expect(checkDestination("not a url", PROD)).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("development allows http and loopback, and nothing else", () => {
    for (const url of ["http://hooks.example.com/", "http://127.0.0.1:8788/hook", "http://localhost:8788/", "http://app.localhost/", "http://[::1]:9000/"]) expect(checkDestination(url, DEV).ok, url).toBe(true);
    for (const url of ["http://10.0.0.1/", "http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://printer.local/", "http://metadata.google.internal/"]) expect(checkDestination(url, DEV).ok, url).toBe(false);
  });
});

describe("outboundFetch", () => {
  it("never follows a redirect: the request asks for manual redirects, and a 307 is a failure", async () => {
    const seen: RequestInit[] = [];
    const fetcher = (async (_u: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init!);
      return new Response(null, { status: 307, headers: { location: "http://169.254.169.254/" } });
    }) as typeof fetch;
    const p = outboundFetch("https://hooks.example.com/", { method: "POST", body: "token" }, { timeoutMs: 5_000, env: PROD, fetcher });
    await expect(p).rejects.toMatchObject({ name: "OutboundError", reason: "redirect" });
    expect(seen).toHaveLength(1);
    expect(seen[0].redirect).toBe("manual");
  });

  it("refuses a forbidden destination without sending anything", async () => {
    let sent = 0;
    const fetcher = (async () => (sent++, new Response("ok"))) as typeof fetch;
    await expect(outboundFetch("https://169.254.169.254/", {}, { timeoutMs: 5_000, env: PROD, fetcher })).rejects.toMatchObject({ reason: "refused" });
    expect(sent).toBe(0);
  });

  it("gives up on a peer that never answers, even one that ignores the abort signal", async () => {
    let signal: AbortSignal | undefined;
    const fetcher = ((_u: RequestInfo | URL, init?: RequestInit) => ((signal = init!.signal!), new Promise<Response>(() => {}))) as typeof fetch;
    const err = await outboundFetch("https://hooks.example.com/", { method: "POST" }, { timeoutMs: 5, env: PROD, fetcher }).catch((e) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect(err.reason).toBe("timeout");
    expect(signal!.aborted).toBe(true);
  });

  it("answers the response for any non-redirect status, and maps a network error", async () => {
    const ok = (async () => new Response("nope", { status: 503 })) as typeof fetch;
    expect((await outboundFetch("https://hooks.example.com/", {}, { timeoutMs: 5_000, env: PROD, fetcher: ok })).status).toBe(503);
    const down = (async () => { throw new TypeError("Network connection lost."); }) as typeof fetch;
    await expect(outboundFetch("https://hooks.example.com/", {}, { timeoutMs: 5_000, env: PROD, fetcher: down })).rejects.toMatchObject({ reason: "network" });
  });
});
