/**
 * @module The client address and the bucket every per-IP limit counts it in: the Worker's
 * `IP_LIMITER` shield and the tenant object's per-IP counters use `ipBucket`, and nothing
 * else turns an address into a key.
 *
 * `CF-Connecting-IP` is parsed, never trusted as a string: an IPv4 address in dotted decimal
 * (no leading zeros, which some parsers read as octal), or an IPv6 address in any RFC 4291
 * section 2.2 text form, written back in the RFC 5952 canonical form; an IPv4-mapped IPv6
 * address (`::ffff:a.b.c.d`, RFC 4291 section 2.5.5.2) is the IPv4 address. Anything else
 * (a missing header, a name, a list, a zone index) is no address at all: it is recorded as
 * `null` and counted in the one shared bucket `unknown`, so a forged or broken value can
 * never mint a fresh budget for itself.
 *
 * IPv6 is bucketed by /64, the smallest prefix a site is normally given (RFC 6177): a single
 * host may hold a whole /64 and draw a new address from it for every request.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** The shared bucket of requests without a valid address. */
export const UNKNOWN_BUCKET = "unknown";

/** Eight 16-bit groups, or null when `s` is not an IPv6 address in RFC 4291 section 2.2 text form. */
function ipv6Groups(s: string): number[] | null {
  if (s.length > 45) return null;
  let tail: number[] = [];
  let text = s;
  if (s.includes(".")) {
    // Form 3 of RFC 4291 section 2.2: the low 32 bits in dotted decimal, after the last colon.
    const at = s.lastIndexOf(":");
    const v4 = s.slice(at + 1);
    if (!IPV4.test(v4)) return null;
    const o = v4.split(".").map(Number);
    tail = [(o[0] << 8) | o[1], (o[2] << 8) | o[3]];
    const prefix = s.slice(0, at + 1);
    text = prefix.endsWith("::") ? prefix : prefix.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string): number[] | null => {
    if (h === "") return [];
    const parts = h.split(":");
    return parts.every((p) => HEXTET.test(p)) ? parts.map((p) => parseInt(p, 16)) : null;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1) return given === 8 ? [...head, ...tail] : null;
  // `::` stands for one or more groups of zeros.
  if (given > 7) return null;
  return [...head, ...new Array(8 - given).fill(0), ...rest, ...tail];
}

/** RFC 5952 section 4: lower case, no leading zeros, the longest run of two or more zero groups (the first on a tie) as `::`. */
function formatIpv6(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) (best = i), (bestLen = j - i);
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

const isV4Mapped = (g: number[]) => g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;

/** The canonical text of an IP address, or null when `raw` is not one (see the module comment). */
export function parseIp(raw: string | null | undefined): string | null {
  if (!raw) return null;
  if (IPV4.test(raw)) return raw;
  if (!raw.includes(":")) return null;
  const g = ipv6Groups(raw);
  if (!g) return null;
  if (isV4Mapped(g)) return `${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`;
  return formatIpv6(g);
}

/** The per-IP limit bucket: an IPv4 address itself, an IPv6 address's /64 (`2001:db8:1:2::/64`), or `unknown`. */
export function ipBucket(raw: string | null | undefined): string {
  const ip = parseIp(raw);
  if (ip === null) return UNKNOWN_BUCKET;
  if (!ip.includes(":")) return ip;
  const g = ipv6Groups(ip)!;
  return `${formatIpv6([...g.slice(0, 4), 0, 0, 0, 0])}/64`;
}
