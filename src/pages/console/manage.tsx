/** @jsxImportSource hono/jsx */
/**
 * @module A tenant's keys (API keys, signing-key rotation: operator only), roles and OAuth
 * clients. Secrets are write-only: a new API key or client secret is shown once, on the page
 * that answers its creation, and never again.
 */
import type { PublicApiKey } from "../../../objects/tenant/api-keys.ts";
import type { PublicRole } from "../../../objects/tenant/flows/roles.ts";
import type { PublicClient } from "../../../objects/tenant/clients.ts";
import { Action, ConsoleLayout, Csrf, Field, Notice, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

export function OnceSecret(props: { label: string; value: string | null | undefined }) {
  return props.value ? (
    <section role="status">
      <p><strong>{props.label}</strong> {texts.keys.shownOnce}</p>
      <p class="secret">{props.value}</p>
    </section>
  ) : null;
}

export function KeysPage(props: { frame: Frame; slug: string; keys: PublicApiKey[]; created?: string | null; notice?: string | null; error?: string | null }) {
  const T = texts.keys;
  const base = tenantPath(props.slug, "keys");
  return (
    <ConsoleLayout frame={props.frame} title={T.title}>
      <Notice ok={props.notice} error={props.error} />
      <OnceSecret label={T.apiKeys} value={props.created} />
      <section class="scroll">
        <h2>{T.apiKeys}</h2>
        {props.keys.length === 0 ? <p>{T.none}</p> : (
          <table>
            <thead><tr><th scope="col">Id</th><th scope="col">{T.name}</th><th scope="col">{T.scopes}</th><th scope="col">{T.created}</th><th scope="col"><span class="hint">{T.revoke}</span></th></tr></thead>
            <tbody>
              {props.keys.map((k) => (
                <tr>
                  <td class="mono">{k.id}</td><td>{k.name}</td><td>{k.scopes.join(" ")}</td><td>{k.created_at}</td>
                  <td>{k.revoked_at ? k.revoked_at : <Action frame={props.frame} action={`${base}/api-keys/${k.id}/revoke`} label={T.revoke} aria={`${T.revoke} ${k.name}`} danger />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>{T.create}</h2>
        <form method="post" action={`${base}/api-keys`}>
          <Csrf frame={props.frame} />
          <Field name="name" label={T.name} required />
          <fieldset>
            <legend>{T.scopes}</legend>
            {["introspect", "subscribe", "manage"].map((s) => (
              <label><input type="checkbox" name={`scope.${s}`} value="1" /> {s}</label>
            ))}
          </fieldset>
          <button type="submit">{T.createSubmit}</button>
        </form>
      </section>
      <section>
        <h2>{T.signing}</h2>
        <Action frame={props.frame} action={`${base}/signing-keys/rotate`} label={T.rotate} danger />
      </section>
    </ConsoleLayout>
  );
}

export function RolesPage(props: { frame: Frame; slug: string; roles: PublicRole[]; notice?: string | null; error?: string | null }) {
  const T = texts.roles;
  const base = tenantPath(props.slug, "roles");
  return (
    <ConsoleLayout frame={props.frame} title={T.title}>
      <Notice ok={props.notice} error={props.error} />
      <section class="scroll">
        {props.roles.length === 0 ? <p>{T.none}</p> : (
          <table>
            <thead><tr><th scope="col">{T.name}</th><th scope="col">{T.description}</th><th scope="col">{T.scopes}</th><th scope="col"><span class="hint">{T.delete}</span></th></tr></thead>
            <tbody>
              {props.roles.map((r) => (
                <tr><td>{r.name}</td><td>{r.description ?? ""}</td><td>{r.scopes.join(" ")}</td><td><Action frame={props.frame} action={`${base}/${r.name}/delete`} label={T.delete} aria={`${T.delete} ${r.name}`} danger /></td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>{T.create}</h2>
        <form method="post" action={base}>
          <Csrf frame={props.frame} />
          <Field name="name" label={T.name} required />
          <Field name="description" label={T.description} />
          <Field name="scopes" label={T.scopes} />
          <button type="submit">{T.createSubmit}</button>
        </form>
      </section>
    </ConsoleLayout>
  );
}

export function ClientsPage(props: { frame: Frame; slug: string; clients: PublicClient[]; secret?: { id: string; value: string } | null; notice?: string | null; error?: string | null }) {
  const T = texts.clients;
  const base = tenantPath(props.slug, "clients");
  return (
    <ConsoleLayout frame={props.frame} title={T.title}>
      <Notice ok={props.notice} error={props.error} />
      <OnceSecret label={props.secret ? `${T.secret} (${props.secret.id})` : ""} value={props.secret?.value} />
      <section class="scroll">
        {props.clients.length === 0 ? <p>{T.none}</p> : (
          <table>
            <thead><tr><th scope="col">{T.id}</th><th scope="col">{T.name}</th><th scope="col">{T.redirects}</th><th scope="col">{T.auth}</th><th scope="col"><span class="hint">{T.delete}</span></th></tr></thead>
            <tbody>
              {props.clients.map((cl) => (
                <tr>
                  <td class="mono">{cl.client_id}</td><td>{cl.client_name ?? ""}</td><td class="mono">{(cl.redirect_uris ?? []).join(" ")}</td><td>{cl.token_endpoint_auth_method}</td>
                  <td>
                    <a href={`${base}/${cl.client_id}`} aria-label={T.editLabel(cl.client_id)}>{T.edit}</a>{" "}
                    {cl.token_endpoint_auth_method !== "none" ? <Action frame={props.frame} action={`${base}/${cl.client_id}/secret`} label={T.rotate} aria={`${T.rotate} ${cl.client_id}`} /> : null}
                    <Action frame={props.frame} action={`${base}/${cl.client_id}/delete`} label={T.delete} aria={`${T.delete} ${cl.client_id}`} danger />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>{T.create}</h2>
        <form method="post" action={base}>
          <Csrf frame={props.frame} />
          <Field name="client_name" label={T.name} required />
          <label for="f-redirect_uris">{T.redirects}</label>
          <textarea id="f-redirect_uris" name="redirect_uris" required></textarea>
          <label for="f-auth">{T.auth}</label>
          <select id="f-auth" name="token_endpoint_auth_method">
            {["client_secret_basic", "client_secret_post", "none"].map((m) => <option value={m}>{m}</option>)}
          </select>
          <button type="submit">{T.createSubmit}</button>
        </form>
      </section>
    </ConsoleLayout>
  );
}
