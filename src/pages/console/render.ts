/**
 * @module How a console page goes out: serialised JSX with its own CSP (the hosted pages'
 * policy: nothing loads unless named, no framing; scripts only by hash, and a WebSocket back
 * to this origin only where the page has one), `no-store`, `X-Frame-Options: DENY` and
 * `Referrer-Policy: same-origin`.
 */
import type { Context } from "hono";
import { pageCsp } from "../csp.ts";

type Status = 200 | 400 | 401 | 403 | 404 | 409 | 500;

export async function renderConsole(c: Context, node: { toString(): string | Promise<string> }, o: { status?: Status; scriptHashes?: string[]; connect?: boolean } = {}): Promise<Response> {
  const html = `<!doctype html>${await node.toString()}`;
  c.header("Content-Security-Policy", pageCsp({ scriptHashes: o.scriptHashes, connectSelf: o.connect }));
  c.header("Cache-Control", "no-store");
  c.header("X-Frame-Options", "DENY");
  // Not no-referrer: under it a form POST carries `Origin: null` (Fetch, "serializing a request
  // origin"), and every console change is checked against its Origin. Nothing leaves this origin.
  c.header("Referrer-Policy", "same-origin");
  return c.html(html, o.status ?? 200);
}
