/// <reference types="node" />
/**
 * @module A browser made of fetch and a cookie jar, for driving the hosted pages with plain
 * HTTP form posts: it follows redirects itself (one host's cookies at a time, by origin), and
 * submits a page's form with its hidden fields the way a browser without JavaScript would.
 */

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

export interface Step {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

export class Jar {
  readonly cookies = new Map<string, Map<string, string>>();

  #header(url: URL): string {
    return [...(this.cookies.get(url.origin) ?? new Map())].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  #store(url: URL, res: Response): void {
    const jar = this.cookies.get(url.origin) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (!value || attrs.some((a) => /^\s*max-age=0$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(url.origin, jar);
  }

  /** One request, then every redirect, until a page that is not a redirect (or a URL `stopAt` accepts). */
  async go(method: string, url: string, form?: Record<string, string>, stopAt?: (u: URL) => boolean): Promise<Step> {
    let u = new URL(url);
    let init: RequestInit = { method, redirect: "manual" };
    if (form) init = { ...init, body: new URLSearchParams(form).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
    for (let hops = 0; hops < 10; hops++) {
      const headers = new Headers(init.headers);
      const cookie = this.#header(u);
      if (cookie) headers.set("cookie", cookie);
      const res = await fetch(u, { ...init, headers });
      this.#store(u, res);
      const loc = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && loc) {
        u = new URL(loc, u);
        if (stopAt?.(u)) return { url: u.href, status: res.status, html: "", headers: res.headers };
        init = { method: "GET", redirect: "manual" };
        continue;
      }
      return { url: u.href, status: res.status, html: await res.text(), headers: res.headers };
    }
    throw new Error("too many redirects");
  }

  /** Submits the first form on the page whose action contains `action`, with its hidden fields and `fields`. */
  submit(page: Step, action: string, fields: Record<string, string> = {}, stopAt?: (u: URL) => boolean): Promise<Step> {
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const f = forms.find((m) => unescape(m[1]).includes(action));
    if (!f) throw new Error(`no form for ${action} on ${page.url}:\n${page.html.slice(0, 2000)}`);
    const hidden: Record<string, string> = {};
    for (const m of f[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[m[1]] = unescape(m[2]);
    return this.go("POST", new URL(unescape(f[1]), page.url).href, { ...hidden, ...fields }, stopAt);
  }
}

export async function adminCall(server: { url: string; adminToken: string }, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
