/** @jsxImportSource hono/jsx */
/**
 * @module One user: profile (and its edit form: the fields PATCH /users/{id} takes), status, roles (grant, remove), MFA, passkeys (a delete button
 * each), linked identities (read-only: the admin API has no route to unlink one), sessions (IP,
 * user agent, online, a revoke button each and one for all), and the operator actions. Every button is
 * a POST with the CSRF field; none needs JavaScript.
 */
import type { UserDetail } from "../../../objects/tenant/flows/users-admin.ts";
import type { PublicUser } from "../../../objects/tenant/users.ts";
import { Action, Area, Choice, ConsoleLayout, Csrf, emptyForm, Field, Notice, Problems, tenantPath, type FormState, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

const T = texts.user;

/** The profile form's texts for a user as stored. */
export function profileValues(u: PublicUser): Record<string, string> {
  return { email: u.email ?? "", username: u.username ?? "", email_verified: String(u.email_verified), metadata: JSON.stringify(u.metadata, null, 2), status: u.status };
}

function ProfileForm(props: { frame: Frame; action: string; user: PublicUser; form: FormState }) {
  const v = { ...profileValues(props.user), ...props.form.values };
  const e = props.form.errors;
  return (
    <form method="post" action={props.action}>
      <h3>{T.edit}</h3>
      <Problems form={props.form} message={T.profileInvalid} />
      <Csrf frame={props.frame} />
      <Field name="email" label={texts.users.email} value={v.email} error={e.email} hint={T.identifierHint} />
      <Field name="username" label={texts.users.username} value={v.username} error={e.username} />
      <Choice name="email_verified" label={T.verified} options={["true", "false"]} value={v.email_verified} error={e.email_verified} />
      <Choice name="status" label={T.status} options={["active", "disabled"]} value={v.status} error={e.status} hint={T.statusHint} />
      <Area name="metadata" label={T.metadata} value={v.metadata} error={e.metadata} hint={T.metadataHint} />
      <button type="submit">{T.save}</button>
    </form>
  );
}

export function UserPage(props: { frame: Frame; slug: string; detail: UserDetail; roles: string[]; profile?: FormState; notice?: string | null; error?: string | null }) {
  const { user, sessions, mfa, roles, passkeys, identities } = props.detail;
  const base = `${tenantPath(props.slug, "users")}/${user.id}`;
  const yes = (b: boolean) => (b ? T.yes : T.no);
  const live = user.status !== "deleted";
  const grantable = props.roles.filter((r) => !roles.includes(r));
  return (
    <ConsoleLayout frame={props.frame} title={T.title(user.email ?? user.username ?? user.id)}>
      <Notice ok={props.notice} error={props.error} />
      <section>
        <h2>{T.profile}</h2>
        <dl class="stats">
          <div><dt>{T.id}</dt><dd><code>{user.id}</code></dd></div>
          <div><dt>{texts.users.email}</dt><dd>{user.email ?? "—"}</dd></div>
          <div><dt>{texts.users.username}</dt><dd>{user.username ?? "—"}</dd></div>
          <div><dt>{T.verified}</dt><dd>{yes(user.email_verified)}</dd></div>
          <div><dt>{T.status}</dt><dd>{user.status}</dd></div>
          <div><dt>{texts.users.created}</dt><dd>{user.created_at}</dd></div>
        </dl>
        {Object.keys(user.metadata).length ? <pre>{JSON.stringify(user.metadata, null, 2)}</pre> : null}
        {live ? <ProfileForm frame={props.frame} action={`${base}/profile`} user={user} form={props.profile ?? emptyForm} /> : null}
      </section>
      {live ? (
        <section>
          <h2>{T.actions}</h2>
          <div class="row">
            {user.status === "active" ? <Action frame={props.frame} action={`${base}/disable`} label={T.disable} danger /> : <Action frame={props.frame} action={`${base}/enable`} label={T.enable} />}
            <Action frame={props.frame} action={`${base}/unlock`} label={T.unlock} />
            <Action frame={props.frame} action={`${base}/password-reset`} label={T.forceReset} danger />
            <Action frame={props.frame} action={`${base}/mfa-reset`} label={T.resetMfa} danger />
          </div>
        </section>
      ) : null}
      <section>
        <h2>{T.roles}</h2>
        {roles.length === 0 ? <p>{T.noRoles}</p> : (
          <ul>
            {roles.map((r) => (
              <li>
                {r}{" "}
                {live ? (
                  <form method="post" action={`${base}/roles/remove`} class="inline">
                    <Csrf frame={props.frame} />
                    <input type="hidden" name="role" value={r} />
                    <label class="check" for={`f-revoke-${r}`}><input type="checkbox" id={`f-revoke-${r}`} name="revoke" value="1" /> {T.revokeToo}</label>{" "}
                    <button type="submit" aria-label={`${T.remove} ${r}`}>{T.remove}</button>
                  </form>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        <p class="hint">{T.revokeHint}</p>
        {live && grantable.length ? (
          <form method="post" action={`${base}/roles/grant`} class="row">
            <Csrf frame={props.frame} />
            <div>
              <label for="f-role">{T.role}</label>
              <select id="f-role" name="role">{grantable.map((r) => <option value={r}>{r}</option>)}</select>
            </div>
            <label class="check" for="f-grant-revoke"><input type="checkbox" id="f-grant-revoke" name="revoke" value="1" /> {T.revokeToo}</label>
            <button type="submit">{T.grantSubmit}</button>
          </form>
        ) : null}
      </section>
      <section>
        <h2>{T.mfa}</h2>
        <p>{T.totp}: {yes(mfa.totp)} · {T.recovery}: {mfa.recovery_codes_remaining}</p>
      </section>
      <section class="scroll">
        <h2>{T.passkeys}</h2>
        {passkeys.length === 0 ? <p>{T.noPasskeys}</p> : (
          <table>
            <thead><tr><th scope="col">{T.passkeyName}</th><th scope="col">{texts.users.created}</th><th scope="col">{T.lastUsed}</th><th scope="col">{T.synced}</th><th scope="col"><span class="hint">{T.deletePasskey}</span></th></tr></thead>
            <tbody>
              {passkeys.map((p) => (
                <tr data-passkey={p.id}>
                  <td>{p.name}</td>
                  <td>{p.created_at}</td>
                  <td>{p.last_used_at ?? T.never}</td>
                  <td>{yes(p.backed_up)}</td>
                  <td>{live ? <Action frame={props.frame} action={`${base}/passkeys/${p.id}/delete`} label={T.deletePasskey} aria={T.deletePasskeyLabel(p.name)} danger /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="hint">{T.passkeyHint}</p>
      </section>
      <section class="scroll">
        <h2>{T.identities}</h2>
        {identities.length === 0 ? <p>{T.noIdentities}</p> : (
          <table>
            <thead><tr><th scope="col">{T.provider}</th><th scope="col">{T.subject}</th><th scope="col">{texts.users.email}</th><th scope="col">{T.linkedAt}</th><th scope="col">{T.lastUsed}</th></tr></thead>
            <tbody>
              {identities.map((i) => (
                <tr data-identity={i.id}>
                  <td>{i.provider}</td>
                  <td class="mono">{i.subject}</td>
                  <td>{i.email ?? "—"}{i.email && i.email_verified ? ` (${T.verifiedShort})` : ""}</td>
                  <td>{i.created_at}</td>
                  <td>{i.last_used_at}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="hint">{T.identitiesReadOnly}</p>
      </section>
      <section class="scroll">
        <h2>{T.sessions}</h2>
        {sessions.length === 0 ? <p>{T.noSessions}</p> : (
          <table>
            <thead><tr><th scope="col">Id</th><th scope="col">{T.ip}</th><th scope="col">{T.agent}</th><th scope="col">{T.online}</th><th scope="col">{T.lastUsed}</th><th scope="col">{T.ends}</th><th scope="col"><span class="hint">{T.revoke}</span></th></tr></thead>
            <tbody>
              {sessions.map((s) => (
                <tr data-session={s.id}>
                  <td class="mono">{s.id}</td>
                  <td class="mono">{s.ip ?? "—"}</td>
                  <td>{s.user_agent ?? "—"}</td>
                  <td>{yes(s.online)}</td>
                  <td>{s.last_refreshed_at}</td>
                  <td>{s.revoked_at ? `${T.ended} ${s.revoked_at} (${s.revoke_reason ?? ""})` : s.expires_at}</td>
                  <td>{s.revoked_at ? null : <Action frame={props.frame} action={`${base}/sessions/${s.id}/revoke`} label={T.revoke} aria={T.revokeLabel(s.id)} danger />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {live ? <Action frame={props.frame} action={`${base}/revoke`} label={T.revokeAll} danger /> : null}
      </section>
    </ConsoleLayout>
  );
}
