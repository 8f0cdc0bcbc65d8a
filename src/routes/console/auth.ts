/**
 * @module Who is using the console, checked on every request under `/admin/`: the sealed
 * session cookie (session.ts), then its token (the operator's fingerprint against the
 * ADMIN_TOKEN of now; a key session asks its tenant's object whether the key is still a live
 * `manage` key), then the cookie is re-sealed with a fresh `seen` (the idle timeout). Also the
 * two checks every change passes before it is read: `Origin` is this origin, and the form's
 * CSRF token is the MAC of this browser's CSRF cookie and this sign-in (signed double submit,
 * OWASP CSRF cheat sheet).
 */
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import { readBody, zodDetails } from "../../http/body.ts";
import { AuthError, type Result } from "../../errors.ts";
import { ensureCsrfCookie, csrfCookieValue } from "../../pages/cookies.ts";
import { mac, macMatches } from "../../pages/keys.ts";
import type { Operator } from "../../../objects/tenant/operator.ts";
import { clock } from "../../clock.ts";
import { texts } from "../../pages/console/texts.ts";
import type { Frame, Section } from "../../pages/console/layout.tsx";
import { clearSession, readSession, sameAdminToken, writeSession, type ConsoleSession } from "./session.ts";

export interface Who {
  kind: "admin" | "key";
  /** The one tenant of a key session; null for the operator. */
  slug: string | null;
  by: Operator;
  session: ConsoleSession;
}

export type ConsoleEnv = { Bindings: AppEnv["Bindings"]; Variables: AppEnv["Variables"] & { who: Who } };
export type ConsoleContext = Context<ConsoleEnv>;

/** A refusal shown on the console's error page (or, for `signin`, the sign-in page). */
export class ConsoleRefusal extends Error {
  constructor(message: string, readonly status: 400 | 401 | 403 | 404 | 409 = 400) {
    super(message);
  }
}

/** The CSRF token of this browser's forms, bound to the sign-in (`sid`, or "" before one). */
export function csrfToken(c: Context<ConsoleEnv>, sid = ""): string {
  return mac(c.env.MASTER_KEY, "console-csrf", sid, ensureCsrfCookie(c));
}

/** `Origin` must name this origin: browsers send it on every POST and WebSocket upgrade. */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  return !!origin && origin === new URL(c.req.url).origin;
}

/** Every method but GET and HEAD needs `Origin` to be this origin, before anything else. */
export function originCheck(): MiddlewareHandler<ConsoleEnv> {
  return async function originCheck(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && !sameOrigin(c)) throw new ConsoleRefusal(texts.error.origin, 403);
    await next();
  };
}

/** The session, its token still good; otherwise back to the sign-in page saying why. */
export function consoleAuth(): MiddlewareHandler<ConsoleEnv> {
  return async function consoleAuth(c, next) {
    const opened = await readSession(c);
    const ended = (why: keyof typeof texts.signIn.ended) => {
      clearSession(c);
      return c.redirect(`/admin/?ended=${why}`, 303);
    };
    if (!opened.ok) return opened.reason === "none" ? c.redirect("/admin/", 303) : ended(opened.reason === "invalid" ? "revoked" : opened.reason);
    const s = opened.session;
    let who: Who;
    if (s.kind === "admin") {
      if (!sameAdminToken(s, c.env.ADMIN_TOKEN)) return ended("revoked");
      who = { kind: "admin", slug: null, by: { admin: true }, session: s };
    } else {
      const by = { apiKey: s.key! };
      const live = await c.env.TENANT.getByName(s.slug!).consoleActor({ by });
      if (!live.ok) return ended("revoked");
      who = { kind: "key", slug: s.slug!, by, session: s };
    }
    c.set("who", who);
    await writeSession(c, { ...s, seen: clock.now() });
    await next();
  };
}

export const operatorOnly = (c: ConsoleContext): void => {
  if (c.get("who").kind !== "admin") throw new ConsoleRefusal(texts.error.operatorOnly, 403);
};

type FormOf<S extends z.ZodRawShape> = { [K in keyof S]: z.infer<S[K]> };

/** A console form's fields, once its CSRF token has passed: nothing else is looked at before that. */
export async function readRawForm(c: Context<ConsoleEnv>, sid: string | null = null): Promise<Record<string, string>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new ConsoleRefusal(texts.error.csrf, 403);
  const raw = await readBody(c, z.record(z.string(), z.string()), { form: true });
  const bound = sid ?? c.get("who").session.sid;
  const cookie = csrfCookieValue(c);
  if (!cookie || !macMatches(c.env.MASTER_KEY, "console-csrf", bound, cookie, raw.csrf)) throw new ConsoleRefusal(texts.error.csrf, 403);
  const { csrf: _csrf, ...rest } = raw;
  return rest;
}

/** `readRawForm`, then the page's own fields. */
export async function readForm<S extends z.ZodRawShape>(c: Context<ConsoleEnv>, shape: S, sid: string | null = null): Promise<FormOf<S>> {
  const parsed = z.object(shape).safeParse(await readRawForm(c, sid));
  if (!parsed.success) throw new AuthError("invalid_request", undefined, { details: zodDetails(parsed.error.issues) });
  return parsed.data as FormOf<S>;
}

/**
 * An RPC's answer typed as its flow declares it: the stub's serialised types turn a result
 * holding `unknown` fields (metadata, audit data) into `unknown`.
 */
export const rpc = <F extends (...a: any[]) => Promise<Result<unknown>>>(r: unknown): Result<Awaited<ReturnType<F>> extends Result<infer T> ? T : never> => r as never;

/** What a page is rendered with: who is signed in, this browser's CSRF token, the tenant section. */
export function frame(c: ConsoleContext, section?: Section): Frame {
  const who = c.get("who");
  return { kind: who?.kind ?? null, csrf: csrfToken(c, who?.session.sid ?? ""), tenant: section ? { slug: c.get("slug"), section } : null };
}
