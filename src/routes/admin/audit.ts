/**
 * @module The tenant's audit log for operators: filtered pages (`user`, `type`, `since`,
 * cursor), oldest first or (`order=newest`) newest first, and the hash-chain check. Mounted for the admin and for manage keys.
 */
import { Hono } from "hono";
import { auditQuery } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { readQuery } from "../../http/body.ts";
import { answer } from "../../http/helpers.ts";
import type { Caller } from "./caller.ts";

export function auditRoutes(who: Caller): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/audit", (c) => {
    const by = who(c);
    const q = readQuery(c, auditQuery);
    return answer(
      c,
      c.get("tenant").auditQuery({
        by,
        user: q.user,
        type: q.type,
        since: q.since === undefined ? undefined : Date.parse(q.since),
        cursor: q.cursor === undefined ? undefined : Number(q.cursor),
        limit: q.limit ?? 100,
        newest: q.order === "newest",
      }),
    );
  });

  r.get("/audit/verify", (c) => answer(c, c.get("tenant").auditVerify({ by: who(c) })));

  return r;
}
