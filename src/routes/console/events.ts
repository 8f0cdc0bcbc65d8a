/**
 * @module The live events page and its WebSocket. A browser cannot put a bearer header on a
 * WebSocket, so the console's upgrade (`/admin/t/{slug}/events/ws`) is authenticated by the
 * console cookie (SameSite=Strict: never sent cross-site), and its `Origin` must be this origin
 * (cross-site WebSocket hijacking: an upgrade is a GET, so no CSRF token protects it). The
 * router then hands the upgrade to the tenant object as the admin API's subscriber would be:
 * the operator vouched for with the admin header, a key session with its key (which must also
 * have the `subscribe` scope, as through the API).
 */
import { Hono } from "hono";
import { ADMIN_HEADER } from "../../../objects/tenant/flows/subscribers.ts";
import { EVENTS_SCRIPT_HASH, EventsPage } from "../../pages/console/events.tsx";
import { renderConsole } from "../../pages/console/render.ts";
import { texts } from "../../pages/console/texts.ts";
import { ConsoleRefusal, frame, sameOrigin, type ConsoleEnv } from "./auth.ts";

export const eventPages = new Hono<ConsoleEnv>();

eventPages.get("/events", (c) => renderConsole(c, EventsPage({ frame: frame(c, "events"), slug: c.get("slug") }), { scriptHashes: [EVENTS_SCRIPT_HASH], connect: true }));

eventPages.get("/events/ws", async (c) => {
  if (!sameOrigin(c)) throw new ConsoleRefusal(texts.error.origin, 403);
  const who = c.get("who");
  const headers = new Headers(c.req.raw.headers);
  headers.delete(ADMIN_HEADER);
  headers.delete("authorization");
  // The console cookie has done its work; the object has no use for it.
  headers.delete("cookie");
  if (who.kind === "admin") headers.set(ADMIN_HEADER, "1");
  else headers.set("authorization", `Bearer ${(who.by as { apiKey: string }).apiKey}`);
  headers.set("x-partykit-room", c.get("slug"));
  const url = new URL(c.req.url);
  const upstream = new URL(`/v1/${c.get("slug")}/events`, url.origin);
  return c.get("tenant").fetch(new Request(upstream, { method: "GET", headers }));
});
