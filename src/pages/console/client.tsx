/** @jsxImportSource hono/jsx */
/**
 * @module One OAuth client: the fields the admin API's PATCH takes (its registered metadata),
 * each with the object's refusal next to it, a new secret (shown once, on the page that made
 * it), and delete. The secret itself is never a field: it is write-only.
 */
import { GRANT_TYPES, ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from "../../../schema/clients.ts";
import type { PublicClient } from "../../../objects/tenant/clients.ts";
import { Action, Area, Choice, ConsoleLayout, Csrf, Field, Notice, Problems, tenantPath, type FormState, type Frame } from "./layout.tsx";
import { OnceSecret } from "./manage.tsx";
import { texts } from "./texts.ts";

const T = texts.clients;

/** The edit form's texts for a client as stored. */
export function clientValues(c: PublicClient): Record<string, string> {
  return {
    client_name: c.client_name ?? "",
    redirect_uris: c.redirect_uris.join("\n"),
    post_logout_redirect_uris: c.post_logout_redirect_uris.join("\n"),
    grant_types: c.grant_types.join(" "),
    scope: c.scope,
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    backchannel_logout_uri: c.backchannel_logout_uri ?? "",
    backchannel_logout_session_required: c.backchannel_logout_session_required === undefined ? "" : String(c.backchannel_logout_session_required),
    id_token_signed_response_alg: c.id_token_signed_response_alg,
    logo_uri: c.logo_uri ?? "",
    client_uri: c.client_uri ?? "",
    first_party: String(c.first_party),
  };
}

function Grants(props: { value: string; error?: string }) {
  const on = new Set(props.value.split(" "));
  return (
    <fieldset aria-describedby={props.error ? "f-grant_types-error" : undefined}>
      <legend>{T.grants}</legend>
      <input type="hidden" name="grants" value="1" />
      {GRANT_TYPES.map((g) => (
        <label class="check" for={`f-grant-${g}`}><input type="checkbox" id={`f-grant-${g}`} name={`grant.${g}`} value="1" checked={on.has(g)} /> {g}</label>
      ))}
      {props.error ? <p class="field-error" id="f-grant_types-error">{props.error}</p> : null}
    </fieldset>
  );
}

export function ClientPage(props: { frame: Frame; slug: string; client: PublicClient; form: FormState; secret?: string | null; notice?: string | null }) {
  const cl = props.client;
  const base = `${tenantPath(props.slug, "clients")}/${cl.client_id}`;
  const v = props.form.values;
  const e = props.form.errors;
  const confidential = cl.token_endpoint_auth_method !== "none";
  return (
    <ConsoleLayout frame={props.frame} title={T.title1(cl.client_name ?? cl.client_id)}>
      <Notice ok={props.notice} />
      <OnceSecret label={`${T.secret} (${cl.client_id})`} value={props.secret} />
      <p><a href={tenantPath(props.slug, "clients")}>{T.back}</a></p>
      <section>
        <dl class="stats">
          <div><dt>{T.id}</dt><dd><code>{cl.client_id}</code></dd></div>
          <div><dt>{T.kind}</dt><dd>{confidential ? T.confidential : T.public}</dd></div>
          <div><dt>{T.registered}</dt><dd>{cl.dynamic ? T.dynamic : T.byOperator}</dd></div>
          <div><dt>{T.updated}</dt><dd>{cl.updated_at}</dd></div>
        </dl>
      </section>
      <section>
        <h2>{T.edit}</h2>
        <Problems form={props.form} message={T.invalid} />
        <form method="post" action={base}>
          <Csrf frame={props.frame} />
          <Field name="client_name" label={T.name} value={v.client_name} error={e.client_name} />
          <Area name="redirect_uris" label={T.redirects} value={v.redirect_uris} error={e.redirect_uris} />
          <Area name="post_logout_redirect_uris" label={T.postLogout} value={v.post_logout_redirect_uris} error={e.post_logout_redirect_uris} />
          <Grants value={v.grant_types ?? ""} error={e.grant_types} />
          <Field name="scope" label={T.scope} value={v.scope} error={e.scope} />
          <Choice name="token_endpoint_auth_method" label={T.auth} options={TOKEN_ENDPOINT_AUTH_METHODS} value={v.token_endpoint_auth_method} error={e.token_endpoint_auth_method} hint={T.authHint} />
          <Choice name="id_token_signed_response_alg" label={T.idTokenAlg} options={ID_TOKEN_ALGS} value={v.id_token_signed_response_alg} error={e.id_token_signed_response_alg} />
          <Field name="backchannel_logout_uri" label={T.backchannel} value={v.backchannel_logout_uri} error={e.backchannel_logout_uri} />
          <Choice name="backchannel_logout_session_required" label={T.backchannelSid} options={["", "true", "false"]} value={v.backchannel_logout_session_required} error={e.backchannel_logout_session_required} />
          <Field name="logo_uri" label={T.logo} value={v.logo_uri} error={e.logo_uri} />
          <Field name="client_uri" label={T.home} value={v.client_uri} error={e.client_uri} />
          <Choice name="first_party" label={T.firstParty} options={["false", "true"]} value={v.first_party} error={e.first_party} hint={T.firstPartyHint} />
          <button type="submit">{T.save}</button>
        </form>
      </section>
      <section>
        <h2>{T.secret}</h2>
        {confidential ? (
          <>
            <p>{T.rotateIntro}</p>
            <Action frame={props.frame} action={`${base}/secret`} label={T.rotate} aria={`${T.rotate} ${cl.client_id}`} />
          </>
        ) : <p>{T.noSecret}</p>}
      </section>
      <section>
        <h2>{T.delete}</h2>
        <p>{T.deleteIntro}</p>
        <Action frame={props.frame} action={`${base}/delete`} label={T.delete} aria={`${T.delete} ${cl.client_id}`} danger />
      </section>
    </ConsoleLayout>
  );
}
