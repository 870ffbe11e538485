// One overview panel: a card with tabs (pages / entry / exit, channels / sources / referrers, ...),
// the top values of the active tab with their visitors as bars, each row a button that filters the
// whole page by it, and a CSV download of the tab. Values are shown by their human names.
import { type ReactNode, useId, useState } from 'react';
import { api } from '../../lib/api';
import { useResource } from '../../lib/hooks';
import { formatCount, PROPERTY_LABEL, valueName } from '../../lib/names';
import { type OverviewView, statsParams } from '../../lib/overview-state';
import type { StatsBreakdown, StatsBreakdownRow } from '../../lib/types';
import { ErrorMessage } from '../ui';

export interface PanelTab {
  label: string;
  property: string;
  /** Conditions of the tab's own (the identified tab lists only identified companies). */
  more?: readonly string[];
  /** The column's heading for the value, when not the property's name. */
  heading?: string;
}

const EXPORT_METRICS = 'visitors,visits,pageviews,bounce_rate,visit_duration,views_per_visit';

export function Panel({
  title,
  base,
  view,
  tabs,
  onPick,
  footer,
  empty = 'Nothing in this period.',
}: {
  title: string;
  base: string;
  view: OverviewView;
  tabs: readonly PanelTab[];
  onPick: (property: string, value: string | null) => void;
  footer?: ReactNode;
  empty?: string;
}) {
  const headingId = useId();
  const [active, setActive] = useState(0);
  const tab = tabs[active] ?? (tabs[0] as PanelTab);
  const params = (extra: Record<string, string>) => statsParams(view, { property: tab.property, ...extra }, tab.more ?? []);
  const data = useResource(
    () => api<StatsBreakdown>('GET', `${base}/breakdown?${params({ limit: '10', metrics: 'visitors,pageviews' })}`),
    [base, tab.property, statsParams(view).toString(), (tab.more ?? []).join(',')],
  );
  const rows = (data.data?.results ?? []) as StatsBreakdownRow[];
  const max = Math.max(1, ...rows.map((r) => r.visitors ?? 0));
  const exportHref = `/dashboard/api${base}/export?${params({ metrics: EXPORT_METRICS, limit: '10000' })}`;

  return (
    <section className="card panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>{title}</h2>
        {tabs.length > 1 ? (
          <div className="panel-tabs" role="tablist" aria-label={`${title}: show by`}>
            {tabs.map((t, i) => (
              <button
                key={t.property + t.label}
                type="button"
                role="tab"
                aria-selected={i === active}
                className={i === active ? 'tab tab-active' : 'tab'}
                onClick={() => setActive(i)}
              >
                {t.label}
              </button>
            ))}
          </div>
        ) : null}
      </div>
      <ErrorMessage>{data.error}</ErrorMessage>
      <table className="panel-table" aria-busy={data.loading}>
        <caption className="visually-hidden">
          {title}, {tab.label}: visitors by {PROPERTY_LABEL[tab.property] ?? tab.property}. Choose a row to filter the whole page by it.
        </caption>
        <thead>
          <tr>
            <th scope="col">{tab.heading ?? PROPERTY_LABEL[tab.property] ?? tab.property}</th>
            <th scope="col" className="num">
              Visitors
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const raw = r[tab.property];
            const value = typeof raw === 'string' ? raw : null;
            const name = tab.property === 'person' && r.label ? r.label : valueName(tab.property, value);
            return (
              <tr key={value ?? '(none)'}>
                <th scope="row">
                  <span className="bar" style={{ width: `${Math.max(2, ((r.visitors ?? 0) / max) * 100)}%` }} aria-hidden="true" />
                  <button
                    type="button"
                    className="row-button"
                    title={value ?? undefined}
                    onClick={() => onPick(tab.property, value)}
                    aria-label={`Filter by ${PROPERTY_LABEL[tab.property] ?? tab.property}: ${name}`}
                  >
                    {name}
                  </button>
                </th>
                <td className="num">{formatCount(r.visitors ?? 0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!data.loading && rows.length === 0 && !data.error ? <p className="muted panel-empty">{empty}</p> : null}
      <div className="panel-foot">
        {footer}
        <a className="panel-export" href={exportHref} download>
          Export CSV
          <span className="visually-hidden">
            {' '}
            of {title}, {tab.label}
          </span>
        </a>
      </div>
    </section>
  );
}
