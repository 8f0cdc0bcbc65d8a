/**
 * @module A tenant's upstream identity providers in the console: list, add, edit, delete.
 * Operator only, although the admin API opens these routes to manage keys too: the console
 * keeps identity-provider secrets with the operator. Each change is the admin API's RPC
 * (`createIdp`, `updateIdp`, `deleteIdp`), so the object validates it (zod's issues come back
 * next to their fields) and audits it with the actor. An edit sends only the fields that
 * changed; a secret field left empty keeps the stored secret.
 */
import { Hono } from "hono";
import { unwrap, type Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { IDP_ID_RE, type PublicIdp } from "../../../schema/identity-providers.ts";
import { emptyIdpForm, IdpPage, IdpsPage, idpValues, type IdpForm } from "../../pages/console/idps.tsx";
import { renderConsole } from "../../pages/console/render.ts";
import { texts } from "../../pages/console/texts.ts";
import { ConsoleRefusal, frame, operatorOnly, readForm, readRawForm, type ConsoleContext, type ConsoleEnv } from "./auth.ts";
import { changed, place } from "./form.ts";

export const idpPages = new Hono<ConsoleEnv>();
idpPages.use("/idps/*", async (c, next) => (operatorOnly(c), next()));
idpPages.use("/idps", async (c, next) => (operatorOnly(c), next()));

const FIELDS = ["id", "type", "issuer", "tenant", "client_id", "client_secret", "apple.team_id", "apple.key_id", "apple.private_key", "scopes", "display_name", "icon_url", "enabled", "trust_verified_email", "require_mfa"] as const;
/** An issue on `apple` itself ("apple needs team_id, ...") shows by its first field. */
const ALIAS = { apple: "apple.team_id" };

const text = (f: Record<string, string>, k: string): string | undefined => {
  const v = (f[k] ?? "").trim();
  return v === "" ? undefined : v;
};
/** A secret as typed (not trimmed); empty is none. */
const secret = (f: Record<string, string>, k: string): string | undefined => (f[k] ? f[k] : undefined);
/** `true`/`false` from the select; anything else stays a string, for zod to refuse. */
const bool = (f: Record<string, string>, k: string): unknown => (f[k] === "true" ? true : f[k] === "false" ? false : f[k] === undefined ? undefined : f[k]);

/** The configuration fields a form holds, as the admin API's body names them (secrets apart). */
function settable(f: Record<string, string>): Record<string, unknown> {
  return {
    issuer: text(f, "issuer"),
    tenant: text(f, "tenant"),
    client_id: text(f, "client_id"),
    scopes: text(f, "scopes"),
    display_name: text(f, "display_name"),
    icon_url: text(f, "icon_url"),
    enabled: bool(f, "enabled"),
    trust_verified_email: bool(f, "trust_verified_email"),
    require_mfa: bool(f, "require_mfa"),
  };
}

const appleOf = (f: Record<string, string>) => ({ team_id: text(f, "apple.team_id"), key_id: text(f, "apple.key_id") });
const shown = (f: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(f).filter(([k]) => k !== "client_secret" && k !== "apple.private_key"));

/** A create's body: what the form holds, Apple's block only when one of its fields is filled. */
function createBody(f: Record<string, string>): Record<string, unknown> {
  const apple = { ...appleOf(f), private_key: secret(f, "apple.private_key") };
  const body: Record<string, unknown> = { id: text(f, "id"), type: text(f, "type"), ...settable(f), client_secret: secret(f, "client_secret") };
  if (Object.values(apple).some((v) => v !== undefined)) body.apple = apple;
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** An edit's patch: the fields whose value changed, and a secret only when one was typed. */
export function editPatch(current: PublicIdp, f: Record<string, string>): Record<string, unknown> {
  const wanted = Object.fromEntries(Object.entries(settable(f)).filter(([k]) => k in f));
  const patch = changed(current as unknown as Record<string, unknown>, wanted);
  const cs = secret(f, "client_secret");
  if (cs !== undefined) patch.client_secret = cs;
  if (current.type === "apple") {
    const a = appleOf(f);
    const pk = secret(f, "apple.private_key");
    if (JSON.stringify(a) !== JSON.stringify({ team_id: current.apple?.team_id, key_id: current.apple?.key_id }) || pk) patch.apple = { ...a, ...(pk ? { private_key: pk } : {}) };
  }
  return patch;
}

/** The refusal placed on the form; a taken id is the id field's. */
function refused(r: Result<unknown>, values: Record<string, string>): IdpForm {
  const p = place(r, FIELDS, ALIAS);
  if (!r.ok && r.error.code === "conflict") return { values, errors: { id: r.error.message ?? "taken" }, other: [] };
  return { values, errors: p.fields, other: p.other };
}

function idParam(c: ConsoleContext): string {
  const id = c.req.param("id") ?? "";
  if (!IDP_ID_RE.test(id)) throw new ConsoleRefusal(texts.error.notFound, 404);
  return id;
}

async function listPage(c: ConsoleContext, form: IdpForm = emptyIdpForm, status: 200 | 400 = 200) {
  const idps = unwrap(await c.get("tenant").listIdps({ by: c.get("who").by })).identity_providers;
  const deleted = c.req.query("deleted");
  return renderConsole(c, IdpsPage({ frame: frame(c, "idps"), slug: c.get("slug"), idps, form, notice: deleted && IDP_ID_RE.test(deleted) ? texts.idps.deleted(deleted) : null }), { status });
}

idpPages.get("/idps", (c) => listPage(c));

idpPages.post("/idps", async (c) => {
  const f = await readRawForm(c);
  const r = await c.get("tenant").createIdp({ by: c.get("who").by, body: createBody(f), meta: meta(c) });
  if (!r.ok) return listPage(c, refused(r, shown(f)), 400);
  return c.redirect(`/admin/t/${c.get("slug")}/idps/${r.value.id}?done=created`, 303);
});

async function onePage(c: ConsoleContext, idp: PublicIdp, form: IdpForm | null = null, status: 200 | 400 = 200) {
  const done = c.req.query("done");
  const notice = done === "created" ? texts.idps.created : done === "saved" ? texts.idps.saved : done === "unchanged" ? texts.idps.unchanged : null;
  return renderConsole(c, IdpPage({ frame: frame(c, "idps"), slug: c.get("slug"), idp, form: form ?? { ...emptyIdpForm, values: idpValues(idp) }, notice }), { status });
}

idpPages.get("/idps/:id", async (c) => onePage(c, unwrap(await c.get("tenant").showIdp({ by: c.get("who").by, id: idParam(c) }))));

idpPages.post("/idps/:id", async (c) => {
  const f = await readRawForm(c);
  const id = idParam(c);
  const by = c.get("who").by;
  const current = unwrap(await c.get("tenant").showIdp({ by, id }));
  const patch = editPatch(current, f);
  const back = `/admin/t/${c.get("slug")}/idps/${id}`;
  if (!Object.keys(patch).length) return c.redirect(`${back}?done=unchanged`, 303);
  const r = await c.get("tenant").updateIdp({ by, id, patch, meta: meta(c) });
  if (!r.ok) return onePage(c, current, refused(r, { ...idpValues(current), ...shown(f) }), 400);
  return c.redirect(`${back}?done=saved`, 303);
});

idpPages.post("/idps/:id/delete", async (c) => {
  await readForm(c, {});
  const id = idParam(c);
  unwrap(await c.get("tenant").deleteIdp({ by: c.get("who").by, id, meta: meta(c) }));
  return c.redirect(`/admin/t/${c.get("slug")}/idps?deleted=${id}`, 303);
});
