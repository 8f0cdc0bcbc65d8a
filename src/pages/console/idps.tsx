/** @jsxImportSource hono/jsx */
/**
 * @module A tenant's upstream identity providers (operator only): the list with each one's
 * callback URL, the form that adds one, and a provider's page (edit, delete). Secrets are
 * write-only: the client secret and Apple's private key are empty fields that replace the
 * stored value when filled, and the page says only whether one is set.
 */
import { IDP_TYPES, type PublicIdp } from "../../../schema/identity-providers.ts";
import { Action, Area, Choice, ConsoleLayout, Csrf, emptyForm, Field, Notice, Problems, tenantPath, type FormState, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

const T = texts.idps;
const BOOL = ["true", "false"] as const;

export type IdpForm = FormState;
export const emptyIdpForm = emptyForm;

/** The form's text for a provider as stored: what the edit form starts from. */
export function idpValues(p: PublicIdp): Record<string, string> {
  return {
    display_name: p.display_name,
    client_id: p.client_id,
    issuer: p.issuer ?? "",
    tenant: p.tenant ?? "",
    "apple.team_id": p.apple?.team_id ?? "",
    "apple.key_id": p.apple?.key_id ?? "",
    scopes: p.scopes,
    icon_url: p.icon_url ?? "",
    enabled: String(p.enabled),
    trust_verified_email: String(p.trust_verified_email),
    require_mfa: String(p.require_mfa),
  };
}

/** The fields of a provider; `type` null on create (all fields, the type chosen), or the provider's own. */
function IdpFields(props: { form: IdpForm; type: PublicIdp["type"] | null; secretSet?: boolean }) {
  const v = props.form.values;
  const e = props.form.errors;
  const t = props.type;
  const creating = t === null;
  return (
    <>
      {creating ? <Field name="id" label={T.id} hint={T.idHint} value={v.id} error={e.id} required /> : null}
      {creating ? <Choice name="type" label={T.type} options={IDP_TYPES} value={v.type ?? "oidc"} error={e.type} /> : null}
      <Field name="display_name" label={T.name} value={v.display_name} error={e.display_name} />
      <Field name="client_id" label={T.clientId} value={v.client_id} error={e.client_id} required />
      {t !== "apple" ? (
        <Field name="client_secret" label={creating ? T.clientSecret : T.replaceSecret} type="password" autocomplete="new-password" hint={creating ? T.secretHint : `${T.replaceHint} ${T.secretSet}: ${props.secretSet ? "yes" : "no"}.`} error={e.client_secret} />
      ) : null}
      {creating || t === "oidc" ? <Field name="issuer" label={T.issuer} hint={T.issuerHint} value={v.issuer} error={e.issuer} /> : null}
      {creating || t === "microsoft" ? <Field name="tenant" label={T.tenant} hint={T.tenantHint} value={v.tenant} error={e.tenant} /> : null}
      {creating || t === "apple" ? (
        <>
          <Field name="apple.team_id" label={T.teamId} value={v["apple.team_id"]} error={e["apple.team_id"]} />
          <Field name="apple.key_id" label={T.keyId} value={v["apple.key_id"]} error={e["apple.key_id"]} />
          <Area name="apple.private_key" label={creating ? T.privateKey : T.replaceKey} hint={creating ? T.secretHint : T.replaceHint} error={e["apple.private_key"]} />
        </>
      ) : null}
      <Field name="scopes" label={T.scopes} value={v.scopes} error={e.scopes} />
      <Field name="icon_url" label={T.icon} value={v.icon_url} error={e.icon_url} />
      <Choice name="enabled" label={T.enabled} options={BOOL} value={v.enabled ?? "true"} error={e.enabled} />
      <Choice name="trust_verified_email" label={T.trustEmail} options={BOOL} value={v.trust_verified_email ?? "false"} error={e.trust_verified_email} />
      <Choice name="require_mfa" label={T.requireMfa} options={BOOL} value={v.require_mfa ?? "true"} error={e.require_mfa} />
    </>
  );
}

export function IdpsPage(props: { frame: Frame; slug: string; idps: PublicIdp[]; form: IdpForm; notice?: string | null }) {
  const base = tenantPath(props.slug, "idps");
  return (
    <ConsoleLayout frame={props.frame} title={T.title}>
      <Notice ok={props.notice} />
      <p>{T.intro}</p>
      <section class="scroll">
        {props.idps.length === 0 ? <p>{T.none}</p> : (
          <table>
            <thead><tr><th scope="col">{T.id}</th><th scope="col">{T.type}</th><th scope="col">{T.name}</th><th scope="col">{T.enabled}</th><th scope="col">{T.secretSet}</th><th scope="col">{T.callback}</th><th scope="col"><span class="hint">{T.edit}</span></th></tr></thead>
            <tbody>
              {props.idps.map((p) => (
                <tr data-idp={p.id}>
                  <td class="mono">{p.id}</td><td>{p.type}</td><td>{p.display_name}</td><td>{String(p.enabled)}</td><td>{p.client_secret_set ? "yes" : "no"}</td><td class="mono">{p.callback_url}</td>
                  <td><a href={`${base}/${p.id}`} aria-label={T.editLabel(p.id)}>{T.edit}</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>{T.create}</h2>
        <Problems form={props.form} message={T.invalid} />
        <form method="post" action={base}>
          <Csrf frame={props.frame} />
          <IdpFields form={props.form} type={null} />
          <button type="submit">{T.createSubmit}</button>
        </form>
      </section>
    </ConsoleLayout>
  );
}

export function IdpPage(props: { frame: Frame; slug: string; idp: PublicIdp; form: IdpForm; notice?: string | null }) {
  const p = props.idp;
  const base = `${tenantPath(props.slug, "idps")}/${p.id}`;
  return (
    <ConsoleLayout frame={props.frame} title={T.title1(p.id)}>
      <Notice ok={props.notice} />
      <p><a href={tenantPath(props.slug, "idps")}>{T.back}</a></p>
      <section>
        <dl class="stats">
          <div><dt>{T.id}</dt><dd><code>{p.id}</code></dd></div>
          <div><dt>{T.type}</dt><dd>{p.type}</dd></div>
          <div><dt>{T.secretSet}</dt><dd>{p.client_secret_set ? "yes" : "no"}</dd></div>
          <div><dt>{T.updated}</dt><dd>{p.updated_at}</dd></div>
        </dl>
        <p>{T.callback}: <code>{p.callback_url}</code></p>
      </section>
      <section>
        <Problems form={props.form} message={T.invalid} />
        <form method="post" action={base}>
          <Csrf frame={props.frame} />
          <IdpFields form={props.form} type={p.type} secretSet={p.client_secret_set} />
          <button type="submit">{T.save}</button>
        </form>
      </section>
      <section>
        <h2>{T.delete}</h2>
        <p>{T.deleteIntro}</p>
        <Action frame={props.frame} action={`${base}/delete`} label={T.delete} danger />
      </section>
    </ConsoleLayout>
  );
}
