/**
 * @module The Content-Security-Policy of every hosted page. Nothing loads unless named:
 * styles only from the Worker, images from the Worker and the registered https logos, forms
 * only to the Worker and, where a page's form ends in a redirect or a form_post to the app, to
 * that app's origin (browsers apply `form-action` to the redirects after a submission too), no
 * framing, no `<base>`. Scripts only by hash, and Turnstile's origin only on pages that show
 * its widget.
 */

export const TURNSTILE_ORIGIN = "https://challenges.cloudflare.com";

export interface CspOptions {
  /** https URLs of logos on the page (branding, the client's `logo_uri`). */
  images?: (string | null | undefined)[];
  /** URLs a form on this page may end up at (the client's redirect or post-logout URI). */
  formTargets?: (string | null | undefined)[];
  /** `'sha256-…'` of inline scripts. */
  scriptHashes?: string[];
  turnstile?: boolean;
  /** `connect-src 'self'`: a page script that opens a WebSocket back to this origin (the console's live events). */
  connectSelf?: boolean;
}

/** The origin a URL is matched by in a CSP source list; a private-use scheme (RFC 8252 section 7.1) matches as `scheme:`. */
export function sourceOf(url: string | null | undefined, httpsOnly = false): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol === "https:" || (!httpsOnly && u.protocol === "http:")) return u.origin;
  if (httpsOnly || !/^[a-z][a-z0-9+.-]*:$/.test(u.protocol)) return null;
  return u.protocol;
}

export function pageCsp(o: CspOptions = {}): string {
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  const img = uniq(["'self'", ...(o.images ?? []).map((u) => sourceOf(u, true))]);
  const form = uniq(["'self'", ...(o.formTargets ?? []).map((u) => sourceOf(u))]);
  const script = uniq([...(o.scriptHashes ?? []), o.turnstile ? TURNSTILE_ORIGIN : null]);
  const d = [
    "default-src 'none'",
    "style-src 'self'",
    `img-src ${img.join(" ")}`,
    `form-action ${form.join(" ")}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ];
  if (script.length) d.push(`script-src ${script.join(" ")}`);
  const connect = uniq([o.connectSelf ? "'self'" : null, o.turnstile ? TURNSTILE_ORIGIN : null]);
  if (o.turnstile) d.push(`frame-src ${TURNSTILE_ORIGIN}`);
  if (connect.length) d.push(`connect-src ${connect.join(" ")}`);
  return d.join("; ");
}
