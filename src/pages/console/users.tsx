/** @jsxImportSource hono/jsx */
/** @module A tenant's users: search by email or username prefix, a page at a time; and signing every user out. */
import type { PublicUser } from "../../../objects/tenant/users.ts";
import { Action, ConsoleLayout, Field, Notice, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

export function UsersPage(props: { frame: Frame; slug: string; query: string; users: PublicUser[]; next: string | null; signedOut: number | null }) {
  const base = tenantPath(props.slug, "users");
  return (
    <ConsoleLayout frame={props.frame} title={texts.users.title}>
      <Notice ok={props.signedOut === null ? null : texts.users.signedOutAll(props.signedOut)} />
      <section>
        <form method="get" action={base} role="search" class="row">
          <Field name="q" label={texts.users.search} type="search" value={props.query} />
          <button type="submit">{texts.users.searchSubmit}</button>
        </form>
      </section>
      <section class="scroll">
        {props.users.length === 0 ? <p>{texts.users.none}</p> : (
          <table>
            <thead><tr><th scope="col">{texts.users.email}</th><th scope="col">{texts.users.username}</th><th scope="col">{texts.users.status}</th><th scope="col">{texts.users.created}</th></tr></thead>
            <tbody>
              {props.users.map((u) => (
                <tr>
                  <td><a href={`${base}/${u.id}`}>{u.email ?? u.id}</a></td>
                  <td>{u.username ?? ""}</td>
                  <td>{u.status}</td>
                  <td>{u.created_at}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.next ? <p><a href={`${base}?${new URLSearchParams({ q: props.query, cursor: props.next })}`}>{texts.users.next}</a></p> : null}
      </section>
      <section>
        <p class="hint">{texts.users.signOutAllHint}</p>
        <Action frame={props.frame} action={tenantPath(props.slug, "sessions/revoke")} label={texts.users.signOutAll} danger />
      </section>
    </ConsoleLayout>
  );
}
