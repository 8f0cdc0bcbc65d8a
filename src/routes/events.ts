/**
 * @module `GET /v1/{tenant}/events`: the WebSocket upgrade is handed to the tenant object
 * (partyserver), which checks the credential before accepting. The router only vouches for the
 * ADMIN_TOKEN, with a header it strips from every client request first. `POST /events/ticket`
 * trades a bearer access token for a single-use ticket to put in the WebSocket URL instead.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { accessToken, answer } from "../http/helpers.ts";
import { bearer, isAdminToken } from "../middleware/admin-auth.ts";
import { ADMIN_HEADER } from "../../objects/tenant/flows/subscribers.ts";

export const eventRoutes = new Hono<AppEnv>();

eventRoutes.post("/events/ticket", (c) => answer(c, c.get("tenant").createEventTicket({ accessToken: accessToken(c) })));

eventRoutes.get("/events", async (c) => {
  const headers = new Headers(c.req.raw.headers);
  headers.delete(ADMIN_HEADER);
  if (isAdminToken(bearer(c.req.header("authorization")), c.env.ADMIN_TOKEN)) headers.set(ADMIN_HEADER, "1");
  // partyserver wants the room name on requests without ctx.id.name; ours always have it.
  headers.set("x-partykit-room", c.get("slug"));
  return c.get("tenant").fetch(new Request(c.req.raw, { headers }));
});
