/** @jsxImportSource hono/jsx */
/** @module The operator's list of tenants, each with its live user and session counts, and the create form. */
import { ConsoleLayout, Csrf, Field, Notice, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

export interface TenantRow {
  slug: string;
  name: string;
  status: string;
  /** Live from the object, or null when it did not answer. */
  users: number | null;
  sessions: number | null;
}

export function TenantsPage(props: { frame: Frame; tenants: TenantRow[]; next: string | null; notice?: string | null; error?: string | null; errors?: Record<string, string>; form?: { slug?: string; name?: string } }) {
  const e = props.errors ?? {};
  return (
    <ConsoleLayout frame={props.frame} title={texts.tenants.title}>
      <Notice ok={props.notice} error={props.error} />
      <section class="scroll">
        {props.tenants.length === 0 ? <p>{texts.tenants.none}</p> : (
          <table>
            <thead><tr><th scope="col">{texts.tenants.slug}</th><th scope="col">{texts.tenants.name}</th><th scope="col">{texts.tenants.status}</th><th scope="col">{texts.tenants.users}</th><th scope="col">{texts.tenants.sessions}</th></tr></thead>
            <tbody>
              {props.tenants.map((t) => (
                <tr>
                  <td>{t.status === "active" ? <a href={tenantPath(t.slug, "overview")}>{t.slug}</a> : t.slug}</td>
                  <td>{t.name}</td>
                  <td>{t.status}</td>
                  <td>{t.users ?? texts.tenants.unavailable}</td>
                  <td>{t.sessions ?? texts.tenants.unavailable}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.next ? <p><a href={`/admin/tenants?cursor=${encodeURIComponent(props.next)}`}>{texts.tenants.next}</a></p> : null}
      </section>
      <section>
        <h2>{texts.tenants.create}</h2>
        <form method="post" action="/admin/tenants">
          <Csrf frame={props.frame} />
          <Field name="slug" label={texts.tenants.slug} required value={props.form?.slug} error={e.slug} hint="^[a-z0-9][a-z0-9-]{1,62}$" />
          <Field name="name" label={texts.tenants.name} required value={props.form?.name} error={e.name} />
          <button type="submit">{texts.tenants.createSubmit}</button>
        </form>
      </section>
    </ConsoleLayout>
  );
}
