/** @jsxImportSource hono/jsx */
/** @module A tenant's users: search by email or username prefix, a page at a time. */
import type { PublicUser } from "../../../objects/tenant/users.ts";
import { ConsoleLayout, Field, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

export function UsersPage(props: { frame: Frame; slug: string; query: string; users: PublicUser[]; next: string | null }) {
  const base = tenantPath(props.slug, "users");
  return (
    <ConsoleLayout frame={props.frame} title={texts.users.title}>
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
    </ConsoleLayout>
  );
}
