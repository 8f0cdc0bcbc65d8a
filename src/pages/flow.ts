/**
 * @module The authorization request carried through the sign-in pages. Once `/oauth/authorize`
 * has checked the client and its redirect URI, its parameters and the time the request came
 * in travel in a hidden form field, MACed with a key only the router holds, so a page POST
 * can resume exactly that request and nothing else. The time is what `prompt=login` is judged
 * against: the sign-in must have happened after the request arrived (OIDC Core 3.1.2.1).
 */
import { b64url, fromB64url, fromUtf8, utf8 } from "../crypto/bytes.ts";
import { clock } from "../clock.ts";
import { mac, macMatches } from "./keys.ts";

export interface Flow {
  params: Record<string, string>;
  /** Milliseconds: when the authorization request arrived. */
  at: number;
}

/** A page left open longer than this starts again from the app. */
export const FLOW_TTL_MS = 60 * 60 * 1000;

export function sealFlow(masterKey: string, slug: string, f: Flow): string {
  const body = b64url(utf8(JSON.stringify({ p: f.params, at: f.at })));
  return `${body}.${mac(masterKey, "flow", slug, body)}`;
}

/** The flow, or null when it was altered, belongs to another tenant, or has expired. */
export function openFlow(masterKey: string, slug: string, token: string | null | undefined): Flow | null {
  if (!token || token.length > 8192) return null;
  const [body, tag, extra] = token.split(".");
  if (!body || !tag || extra !== undefined || !macMatches(masterKey, "flow", slug, body, tag)) return null;
  try {
    const v = JSON.parse(fromUtf8(fromB64url(body))) as { p?: unknown; at?: unknown };
    if (typeof v.at !== "number" || !v.p || typeof v.p !== "object") return null;
    const now = clock.now();
    if (v.at > now + 60_000 || now - v.at > FLOW_TTL_MS) return null;
    return { params: v.p as Record<string, string>, at: v.at };
  } catch {
    return null;
  }
}
