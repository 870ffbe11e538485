// Events per hour or day as an SVG bar chart, with empty buckets filled in, and the same numbers
// as a table for screen readers and anyone who wants exact values. A range of fewer than three
// buckets ("Last hour" spans two clock hours) is said as a number: two bars of partial hours
// look like a trend and are not one.
import { useId } from 'react';
import type { Bucket } from '../lib/types';
import { TableHead } from './ui';

export type { Bucket };

const W = 800;
const H = 180;
const PAD_LEFT = 40;
const PAD_BOTTOM = 24;
/** Fewer buckets than this make no chart worth drawing. */
const MIN_BARS = 3;

const hourLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric' });
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export function BarChart({ buckets, interval, total }: { buckets: Bucket[]; interval: 'hour' | 'day'; total: number }) {
  const id = useId();
  const label = interval === 'hour' ? hourLabel : dayLabel;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const plotW = W - PAD_LEFT;
  const plotH = H - PAD_BOTTOM;
  const step = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, step * 0.8);
  const tickEvery = Math.max(1, Math.ceil(buckets.length / 6));
  const per = interval === 'hour' ? 'hour' : 'day';
  if (buckets.length < MIN_BARS) {
    return (
      <figure className="chart chart-total">
        <figcaption>
          <span className="chart-total-number">{total.toLocaleString()}</span> {total === 1 ? 'event' : 'events'} in this range
        </figcaption>
        <p className="hint">Choose a longer time range to see them per {per}.</p>
      </figure>
    );
  }
  return (
    <figure className="chart">
      <figcaption id={id}>
        Events per {per}: {total.toLocaleString()} in this range
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={id} preserveAspectRatio="none">
        <title>{`Bar chart of events per ${per}`}</title>
        <line x1={PAD_LEFT} y1={plotH} x2={W} y2={plotH} className="chart-axis" />
        <text x={PAD_LEFT - 6} y={12} className="chart-label" textAnchor="end">
          {max.toLocaleString()}
        </text>
        <text x={PAD_LEFT - 6} y={plotH} className="chart-label" textAnchor="end">
          0
        </text>
        {buckets.map((b, i) => {
          const h = (b.count / max) * (plotH - 8);
          const x = PAD_LEFT + i * step + (step - barW) / 2;
          return (
            <g key={b.start_ms}>
              <rect x={x} y={plotH - h} width={barW} height={h} className="chart-bar">
                <title>{`${label.format(b.start_ms)}: ${b.count.toLocaleString()} events`}</title>
              </rect>
              {i % tickEvery === 0 ? (
                <text x={x + barW / 2} y={H - 6} className="chart-label" textAnchor="middle">
                  {label.format(b.start_ms)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Show the numbers</summary>
        <table>
          <TableHead columns={[interval === 'hour' ? 'Hour starting' : 'Day', 'Events']} />
          <tbody>
            {buckets
              .filter((b) => b.count > 0)
              .map((b) => (
                <tr key={b.start_ms}>
                  <td>{label.format(b.start_ms)}</td>
                  <td>{b.count.toLocaleString()}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
