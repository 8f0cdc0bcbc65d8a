/** @jsxImportSource hono/jsx */
/** @module A tenant's overview for the operator: live stats from the object, the last 24 hours as charts, and delete. */
import type { TenantStats, TenantView } from "../../../objects/tenant/flows/admin.ts";
import { HOURLY_KINDS, type HourlySeries } from "../../../objects/tenant/hourly.ts";
import { BarChart } from "./chart.tsx";
import { ConsoleLayout, Csrf, Field, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

const T = texts.overview;

export function OverviewPage(props: { frame: Frame; tenant: TenantView & { stats: TenantStats }; charts: HourlySeries }) {
  const s = props.tenant.stats;
  const stat = (label: string, value: string | number) => <div><dt>{label}</dt><dd>{value}</dd></div>;
  return (
    <ConsoleLayout frame={props.frame} title={`${props.tenant.name} · ${T.title}`}>
      <section>
        <h2>{T.stats}</h2>
        <dl class="stats">
          {stat(T.users, s.users)}
          {stat(T.sessions, s.active_sessions)}
          {stat(T.subscribers, `${s.subscribers.service} / ${s.subscribers.user}`)}
          {stat(T.outbox, s.outbox.depth)}
          {stat(T.outboxAge, s.outbox.oldest_age_s === null ? "—" : `${s.outbox.oldest_age_s} s`)}
          {stat(T.nextAlarm, s.next_alarm_at ?? "—")}
          {stat(T.eventSeq, s.event_seq)}
          {stat(T.storage, `${(s.storage_bytes / 1024).toFixed(0)} KiB`)}
          {stat(T.schema, s.schema_version)}
        </dl>
      </section>
      <section>
        <h2>{T.charts}</h2>
        <div class="charts">
          {HOURLY_KINDS.map((k) => <BarChart label={T.series[k]} from={props.charts.from} values={props.charts.series[k]} />)}
        </div>
      </section>
      <section>
        <h2>{T.delete}</h2>
        <p>{T.deleteIntro}</p>
        <form method="post" action={tenantPath(props.tenant.slug, "delete")}>
          <Csrf frame={props.frame} />
          <Field name="confirm" label={T.deleteConfirm} required />
          <button type="submit" class="danger">{T.delete}</button>
        </form>
      </section>
    </ConsoleLayout>
  );
}
