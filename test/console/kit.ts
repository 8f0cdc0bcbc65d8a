/**
 * @module A console user for the tests: the hosted-page test browser (cookie jar over
 * SELF.fetch, no redirects followed) sending this origin's `Origin` on every change, with the
 * CSRF token taken from the last page it read, as a browser submitting that page's form would.
 */
import { expect } from "vitest";
import { BASE } from "../helpers.ts";
import { Browser, field, type Page } from "../pages/kit.ts";

export class Console extends Browser {
  csrf: string | null = null;

  async open(path: string): Promise<Page> {
    const p = await this.get(path);
    this.csrf = field(p.html, "csrf") ?? this.csrf;
    return p;
  }

  /** A form POST as the console's own page sends it (Origin, CSRF field), unless `o` says otherwise. */
  post(path: string, fields: Record<string, string> = {}, o: { origin?: string | null; csrf?: string | null } = {}): Promise<Page> {
    const headers: Record<string, string> = {};
    const origin = o.origin === undefined ? BASE : o.origin;
    if (origin !== null) headers.origin = origin;
    const csrf = o.csrf === undefined ? this.csrf : o.csrf;
    return this.request("POST", path, { ...(csrf ? { csrf } : {}), ...fields }, headers);
  }

  async signIn(token: string, tenant = ""): Promise<Page> {
    await this.open("/admin/");
    return this.post("/admin/sign-in", { token, tenant });
  }

  session(): string | undefined {
    return this.cookie("__Host-warden_console");
  }
}

export async function operator(): Promise<Console> {
  const { ADMIN } = await import("../helpers.ts");
  const c = new Console();
  const r = await c.signIn(ADMIN);
  expect(r.status, r.html).toBe(303);
  return c;
}
