/** @jsxImportSource hono/jsx */
/**
 * @module A 24-bar chart as inline SVG, drawn on the server: no script, no third-party asset,
 * and `style-src 'self'` holds (the bars are styled by the stylesheet, sized by attributes).
 * The figure's caption and the SVG's <title> carry the total, and each bar's <title> its hour
 * and count, for screen readers and on hover.
 */
import { texts } from "./texts.ts";

const W = 240;
const H = 80;
const PAD = 12;

export function BarChart(props: { label: string; from: string; values: number[] }) {
  const max = Math.max(1, ...props.values);
  const total = props.values.reduce((a, b) => a + b, 0);
  const bw = W / props.values.length;
  const start = Date.parse(props.from);
  const caption = texts.overview.chartLabel(props.label, total);
  return (
    <figure>
      <figcaption>{caption}</figcaption>
      <svg class="chart" viewBox={`0 0 ${W} ${H + PAD}`} role="img" aria-label={caption}>
        <title>{caption}</title>
        <line x1="0" y1={H} x2={W} y2={H} />
        {props.values.map((v, i) => {
          const h = Math.round((v / max) * (H - 4));
          const hour = new Date(start + i * 3_600_000).toISOString().slice(11, 13);
          return (
            <rect class="bar" x={(i * bw + 1).toFixed(1)} y={H - h} width={(bw - 2).toFixed(1)} height={h}>
              <title>{`${hour}:00 UTC: ${v}`}</title>
            </rect>
          );
        })}
        <text x="0" y={H + PAD - 2}>{`${new Date(start).toISOString().slice(11, 13)}:00`}</text>
        <text x={W} y={H + PAD - 2} text-anchor="end">{`max ${max}`}</text>
      </svg>
    </figure>
  );
}
