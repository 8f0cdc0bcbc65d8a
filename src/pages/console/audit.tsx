/** @jsxImportSource hono/jsx */
/** @module A tenant's audit log: filters (user, type, since), newest first, older pages, and the hash-chain check. */
import type { AuditEntry, AuditVerification } from "../../../objects/tenant/audit.ts";
import { ConsoleLayout, Field, Notice, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

const T = texts.audit;

export interface AuditFilters {
  user: string;
  type: string;
  since: string;
}

export function AuditPage(props: { frame: Frame; slug: string; filters: AuditFilters; entries: AuditEntry[]; next: string | null; chain: AuditVerification | null; error?: string | null }) {
  const base = tenantPath(props.slug, "audit");
  const f = props.filters;
  const keep = (extra: Record<string, string>) => `${base}?${new URLSearchParams(Object.entries({ ...f, ...extra }).filter(([, v]) => v))}`;
  const chain = props.chain;
  return (
    <ConsoleLayout frame={props.frame} title={T.title}>
      <Notice error={props.error} ok={chain?.ok ? T.chainOk(chain.checked) : null} />
      {chain && !chain.ok ? <p class="error" role="alert">{T.chainBroken(String(chain.broken_at ?? "?"), chain.reason ?? "unknown")}</p> : null}
      <section>
        <form method="get" action={base} class="row">
          <Field name="user" label={T.user} value={f.user} />
          <Field name="type" label={T.type} value={f.type} />
          <Field name="since" label={T.since} value={f.since} />
          <button type="submit">{T.filter}</button>
        </form>
        <form method="get" action={base}>
          <input type="hidden" name="verify" value="1" />
          <button type="submit" class="secondary">{T.verify}</button>
        </form>
      </section>
      <section class="scroll">
        {props.entries.length === 0 ? <p>{T.none}</p> : (
          <table>
            <thead><tr><th scope="col">#</th><th scope="col">{T.time}</th><th scope="col">{T.type}</th><th scope="col">{T.user}</th><th scope="col">{T.actor}</th><th scope="col">{T.ip}</th><th scope="col">{T.data}</th></tr></thead>
            <tbody>
              {props.entries.map((e) => (
                <tr>
                  <td>{e.id}</td>
                  <td>{e.ts}</td>
                  <td>{e.type}</td>
                  <td class="mono">{e.user_id ? <a href={`${tenantPath(props.slug, "users")}/${e.user_id}`}>{e.user_id}</a> : ""}</td>
                  <td class="mono">{e.actor ?? ""}</td>
                  <td class="mono">{e.ip ?? ""}</td>
                  <td class="mono">{JSON.stringify(e.data)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.next ? <p><a href={keep({ cursor: props.next })}>{T.older}</a></p> : null}
      </section>
    </ConsoleLayout>
  );
}
