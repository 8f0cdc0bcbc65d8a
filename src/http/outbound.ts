/**
 * @module Every request Warden sends to a destination an operator or a client chose (tenant
 * webhooks now; back-channel logout, upstream OIDC discovery, JWKS and token calls later)
 * goes through this module, so one set of rules guards against server-side request forgery
 * (OWASP ASVS 5.0 V1.3.6 / SSRF):
 *
 * - `checkDestination(url, env)` says whether a URL may be called at all. Call it when the URL
 *   is configured (settings, client registration) to refuse it with a clear error, and
 *   `outboundFetch` calls it again before every request (settings written before the rule, or
 *   rules tightened since).
 * - `outboundFetch(url, init, {timeoutMs, env})` sends one request: the destination checked,
 *   redirects never followed (a 3xx is refused: following one would re-send a POST body with a
 *   one-time token to wherever the receiver points, RFC 9110 section 15.4.8), and a deadline
 *   over the whole exchange, headers and body alike.
 *
 * Outside development the URL must be `https:` and its host may be neither an IP literal in a
 * loopback, private, link-local, shared, multicast or reserved range (IPv4 and IPv6, with the
 * IPv4 embedded in mapped, compatible, NAT64 and 6to4 IPv6 forms) nor a name that only
 * resolves inside a network (`localhost`, single-label names, `.localhost`, `.local`,
 * `.internal`, `.localdomain`, `.home.arpa`). Names are not resolved: Workers have no DNS API,
 * and production `fetch` cannot reach private networks anyway; the literal and name rules
 * stop what the URL alone gives away. `ENVIRONMENT=development` relaxes exactly two things:
 * `http:` is allowed, and loopback hosts (127.0.0.0/8, ::1, `localhost`, `*.localhost`) are
 * allowed, for tests and local receivers. Private ranges stay refused there too.
 */

export type DestinationRefusal =
  | "malformed"
  /** Not https (or, in development, http). */
  | "scheme"
  /** `user:password@` in the URL: credentials would end up in logs. */
  | "credentials"
  /** An IP literal in a range that is not the public internet. */
  | "private_address"
  /** A name that only resolves inside a network. */
  | "private_name";

export type DestinationCheck = { ok: true; url: URL } | { ok: false; reason: DestinationRefusal; message: string };

const MESSAGES: Record<DestinationRefusal, string> = {
  malformed: "Not a valid absolute URL.",
  scheme: "The URL must use https.",
  credentials: "The URL must not carry a user name or password.",
  private_address: "The URL's host is a loopback, private, link-local or reserved address.",
  private_name: "The URL's host is a local or internal name.",
};

/** What the rules need from the environment. */
export interface OutboundEnv {
  ENVIRONMENT?: string;
}

const isDevelopment = (env: OutboundEnv): boolean => env.ENVIRONMENT === "development";

/** Whether `url` may be called from Warden (see the module comment for the rules). */
export function checkDestination(url: string | URL, env: OutboundEnv): DestinationCheck {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return refuse("malformed");
  }
  const dev = isDevelopment(env);
  if (u.protocol !== "https:" && !(dev && u.protocol === "http:")) return refuse("scheme");
  if (u.username || u.password) return refuse("credentials");
  const host = u.hostname.toLowerCase();
  if (!host) return refuse("malformed");
  // The WHATWG URL parser has already turned decimal, octal and hex IPv4 forms ("2130706433",
  // "0177.1", "0x7f.1") into dotted quads and compressed IPv6, so only these two shapes remain.
  if (host.startsWith("[")) {
    const a = parseIpv6(host.slice(1, -1));
    if (!a) return refuse("malformed");
    const range = ipv6Range(a);
    return range === "public" || (dev && range === "loopback") ? { ok: true, url: u } : refuse("private_address");
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) {
    const range = ipv4Range(v4);
    return range === "public" || (dev && range === "loopback") ? { ok: true, url: u } : refuse("private_address");
  }
  const name = host.replace(/\.+$/, "");
  if (dev && (name === "localhost" || name.endsWith(".localhost"))) return { ok: true, url: u };
  if (isInternalName(name)) return refuse("private_name");
  return { ok: true, url: u };
}

const refuse = (reason: DestinationRefusal): DestinationCheck => ({ ok: false, reason, message: MESSAGES[reason] });

/** Suffixes reserved for local use: RFC 6761 section 6.3 (localhost), RFC 6762 (local), RFC 8375 (home.arpa), ICANN's .internal. */
const INTERNAL_SUFFIXES = ["localhost", "local", "internal", "localdomain", "home.arpa"];

function isInternalName(name: string): boolean {
  // A single label ("metadata", "instance-data", "kubernetes") is resolved by a search domain
  // inside a network, never on the public internet.
  if (!name.includes(".")) return true;
  return INTERNAL_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`));
}

type Range = "public" | "loopback" | "private";

function parseIpv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** [base, prefix length]: RFC 6890's special-purpose registry, the parts that are not the public internet. */
const IPV4_PRIVATE: [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8 "this network" (0.0.0.0 reaches the local host)
  [0x0a000000, 8], // 10/8 private (RFC 1918)
  [0x64400000, 10], // 100.64/10 shared address space, carrier NAT (RFC 6598)
  [0xa9fe0000, 16], // 169.254/16 link-local, cloud metadata 169.254.169.254 (RFC 3927)
  [0xac100000, 12], // 172.16/12 private (RFC 1918)
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0a80000, 16], // 192.168/16 private (RFC 1918)
  [0xc6120000, 15], // 198.18/15 benchmarking (RFC 2544)
  [0xe0000000, 4], // 224/4 multicast
  [0xf0000000, 4], // 240/4 reserved, and the broadcast address
];

function ipv4Range(a: number): Range {
  if (a >>> 24 === 127) return "loopback"; // 127/8
  return IPV4_PRIVATE.some(([base, len]) => (a >>> (32 - len)) === (base >>> (32 - len))) ? "private" : "public";
}

/** Eight 16-bit groups, or null. Accepts what the URL parser emits (compressed, lower case, no zone). */
function parseIpv6(s: string): number[] | null {
  if (!/^[0-9a-f:.]+$/.test(s)) return null;
  // A trailing dotted quad ("::ffff:10.0.0.1") becomes its two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseIpv4(dotted[1]);
    if (v4 === null) return null;
    s = `${s.slice(0, -dotted[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h === "" ? [] : h.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const known = head.length + rest.length;
  if (head.some(Number.isNaN) || rest.some(Number.isNaN)) return null;
  if (halves.length === 1 && known !== 8) return null;
  if (halves.length === 2 && known > 7) return null;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
}

function ipv6Range(g: number[]): Range {
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => ipv4Range(((hi << 16) | lo) >>> 0);
  if (zeros(7) && g[7] === 1) return "loopback"; // ::1
  if (zeros(8)) return "private"; // :: unspecified
  if (zeros(5) && g[5] === 0xffff) return v4(g[6], g[7]); // ::ffff:0:0/96 IPv4-mapped (RFC 4291 section 2.5.5.2)
  if (zeros(6)) return v4(g[6], g[7]); // ::/96 IPv4-compatible (deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6], g[7]); // 64:ff9b::/96 NAT64 (RFC 6052)
  if (g[0] === 0x2002) return v4(g[1], g[2]); // 2002::/16 6to4 (RFC 3056)
  if ((g[0] & 0xfe00) === 0xfc00) return "private"; // fc00::/7 unique local, incl. AWS metadata fd00:ec2::254 (RFC 4193)
  if ((g[0] & 0xffc0) === 0xfe80) return "private"; // fe80::/10 link-local
  if ((g[0] & 0xffc0) === 0xfec0) return "private"; // fec0::/10 site-local (deprecated, RFC 3879)
  if ((g[0] & 0xff00) === 0xff00) return "private"; // ff00::/8 multicast
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return "private"; // 100::/64 discard (RFC 6666)
  return "public";
}

// ---------------------------------------------------------------------------- sending

export type OutboundFailure = "refused" | "redirect" | "timeout" | "network";

/** Why an outbound request did not get a usable answer; `message` never carries the body sent. */
export class OutboundError extends Error {
  readonly reason: OutboundFailure;
  constructor(reason: OutboundFailure, message: string) {
    super(message);
    this.name = "OutboundError";
    this.reason = reason;
  }
}

export interface OutboundOptions {
  /** The deadline for the whole exchange, response body included. */
  timeoutMs: number;
  env: OutboundEnv;
  /** The `fetch` to use; looked up per call by default, so a test's mock of the global applies. */
  fetcher?: typeof fetch;
}

/**
 * Sends one request under the rules above. Resolves with any non-3xx response (the caller
 * decides what a 4xx or 5xx means); rejects with an `OutboundError` when the destination is
 * refused, the answer is a redirect, the deadline passes or the network fails. The deadline is
 * enforced by racing a timer as well as aborting the request, so a peer (or a mock) that
 * ignores the abort signal cannot hold the caller past it.
 */
export async function outboundFetch(url: string | URL, init: RequestInit, o: OutboundOptions): Promise<Response> {
  const checked = checkDestination(url, o.env);
  if (!checked.ok) throw new OutboundError("refused", `destination refused: ${checked.message}`);
  const abort = new AbortController();
  const signal = init.signal ? AbortSignal.any([init.signal, abort.signal]) : abort.signal;
  const fetcher = o.fetcher ?? ((input, i) => fetch(input, i));
  const started = Date.now();
  let res: Response;
  try {
    res = await withDeadline(fetcher(checked.url, { ...init, redirect: "manual", signal }), o.timeoutMs, () => abort.abort());
  } catch (e) {
    if (e instanceof OutboundError) throw e;
    throw new OutboundError("network", `request failed: ${String(e).slice(0, 120)}`);
  }
  // Reading the body is bounded by the same deadline: what is left of it aborts the stream.
  const bodyDeadline = setTimeout(() => abort.abort(), Math.max(0, o.timeoutMs - (Date.now() - started)));
  if (res.status >= 300 && res.status < 400) {
    clearTimeout(bodyDeadline);
    await res.body?.cancel();
    throw new OutboundError("redirect", `answered a redirect (${res.status}); redirects are not followed`);
  }
  if (!res.body) clearTimeout(bodyDeadline);
  return res;
}

/**
 * Settles like `p`, or rejects with an `OutboundError("timeout")` after `ms` (calling
 * `onTimeout`, e.g. to abort). For outside calls that take no signal (a D1 batch): the work
 * may still finish later, so it must be safe to repeat.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new OutboundError("timeout", `no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
