// A project's traffic at a glance: the headline numbers against the previous period, visitors and
// page views over time, and panels for pages, sources, campaigns, locations, devices and the people
// and companies behind the visits. Choosing a row in any panel filters the whole page (a chip, kept
// in the URL, so a view can be shared); a badge counts the visitors of the last five minutes.
import { lazy, Suspense, useEffect, useId, useState } from 'react';
import { api } from '../../lib/api';
import { useResource } from '../../lib/hooks';
import { formatCount, formatDuration, PROPERTY_LABEL, valueName } from '../../lib/names';
import { type Chip, type OverviewView, PERIOD_LABEL, statsParams, withChip } from '../../lib/overview-state';
import type { Metric, Period, Project, StatsAggregate, StatsTimeseries } from '../../lib/types';
import { ErrorMessage, Field, Loading, PageHeader } from '../ui';
import { Panel } from './Panel';

const StatsChart = lazy(() => import('./StatsChart'));

const HEADLINE: { metric: Metric; label: string; format: (n: number) => string; upIsGood: boolean }[] = [
  { metric: 'visitors', label: 'Visitors', format: formatCount, upIsGood: true },
  { metric: 'visits', label: 'Visits', format: formatCount, upIsGood: true },
  { metric: 'pageviews', label: 'Page views', format: formatCount, upIsGood: true },
  {
    metric: 'views_per_visit',
    label: 'Views per visit',
    format: (n) => n.toLocaleString(undefined, { maximumFractionDigits: 2 }),
    upIsGood: true,
  },
  { metric: 'bounce_rate', label: 'Bounce rate', format: (n) => `${n}%`, upIsGood: false },
  { metric: 'visit_duration', label: 'Visit duration', format: formatDuration, upIsGood: true },
  { metric: 'identified_visitors', label: 'Identified visitors', format: formatCount, upIsGood: true },
];
const ALL_METRICS = HEADLINE.map((h) => h.metric).join(',');
const REALTIME_EVERY_MS = 30_000;

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayTitle = new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const monthLabel = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: 'numeric', timeZone: 'UTC' });

/** A bucket's local date ("2026-03-05" or "2026-03-05 14:00:00", the project's wall clock) as words. */
function bucketLabels(date: string, interval: StatsTimeseries['interval']): { label: string; title: string } {
  const wall = Date.parse(`${date.replace(' ', 'T')}${date.length > 10 ? '' : 'T00:00:00'}Z`);
  switch (interval) {
    case 'hour':
      return { label: hourLabel.format(wall), title: `${dayTitle.format(wall)}, ${hourLabel.format(wall)}` };
    case 'week':
      return { label: dayLabel.format(wall), title: `Week of ${dayTitle.format(wall)}` };
    case 'month':
      return { label: monthLabel.format(wall), title: monthLabel.format(wall) };
    default:
      return { label: dayLabel.format(wall), title: dayTitle.format(wall) };
  }
}

export function TrafficOverview({
  orgId,
  projects,
  view,
  onView,
}: {
  orgId: string;
  /** Projects with at least one pixel, for the picker. */
  projects: readonly Project[];
  view: OverviewView;
  onView: (v: OverviewView) => void;
}) {
  const base = `/orgs/${orgId}/stats`;
  const key = statsParams(view).toString();
  const project = projects.find((p) => p.project_id === view.project);
  const summary = useResource(async () => {
    const [aggregate, series] = await Promise.all([
      api<StatsAggregate>('GET', `${base}/aggregate?${statsParams(view, { metrics: ALL_METRICS, compare: 'previous_period' })}`),
      api<StatsTimeseries>('GET', `${base}/timeseries?${statsParams(view, { metrics: 'visitors,pageviews' })}`),
    ]);
    return { aggregate, series };
  }, [base, key]);
  const pick = (property: string, value: string | null) => onView(withChip(view, { property, value }));
  const data = summary.data;

  return (
    <>
      <PageHeader
        title="Overview"
        description={
          <>
            Traffic of <strong>{project?.name ?? 'this project'}</strong>, in its time zone (
            {data?.aggregate.range.time_zone ?? project?.time_zone}). Bots are left out.
          </>
        }
        actions={<LiveBadge base={base} projectId={view.project} />}
      />
      <div className="overview-toolbar">
        {projects.length > 1 ? (
          <Field label="Project">
            {(p) => (
              <select {...p} value={view.project} onChange={(e) => onView({ ...view, project: e.target.value, chips: [] })}>
                {projects.map((x) => (
                  <option key={x.project_id} value={x.project_id}>
                    {x.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <PeriodPicker view={view} onView={onView} />
      </div>
      <Chips chips={view.chips} onRemove={(chip) => onView({ ...view, chips: view.chips.filter((c) => c !== chip) })} />
      <ErrorMessage>{summary.error}</ErrorMessage>
      {!data ? (
        <Loading label="Loading the overview…" />
      ) : (
        <>
          <Headline aggregate={data.aggregate} />
          <ChartCard series={data.series} />
        </>
      )}
      <div className="panels">
        <Panel
          title="Top pages"
          base={base}
          view={view}
          onPick={pick}
          tabs={[
            { label: 'Pages', property: 'page' },
            { label: 'Entry', property: 'entry_page' },
            { label: 'Exit', property: 'exit_page' },
          ]}
        />
        <Panel
          title="Sources"
          base={base}
          view={view}
          onPick={pick}
          tabs={[
            { label: 'Sources', property: 'source' },
            { label: 'Channels', property: 'channel' },
            { label: 'Referrers', property: 'referrer', more: ['referrer:not_null'] },
          ]}
        />
        <Panel
          title="Campaigns"
          base={base}
          view={view}
          onPick={pick}
          empty="No visits with UTM parameters in this period."
          tabs={[
            { label: 'Campaign', property: 'utm_campaign', more: ['utm_campaign:not_null'] },
            { label: 'Source', property: 'utm_source', more: ['utm_source:not_null'] },
            { label: 'Medium', property: 'utm_medium', more: ['utm_medium:not_null'] },
          ]}
        />
        <Panel
          title="Locations"
          base={base}
          view={view}
          onPick={pick}
          tabs={[
            { label: 'Countries', property: 'country' },
            { label: 'Regions', property: 'region' },
            { label: 'Cities', property: 'city' },
          ]}
          footer={
            <a className="attribution" href="https://db-ip.com" target="_blank" rel="noreferrer">
              IP Geolocation by DB-IP
            </a>
          }
        />
        <Panel
          title="Devices"
          base={base}
          view={view}
          onPick={pick}
          tabs={[
            { label: 'Devices', property: 'device' },
            { label: 'Browsers', property: 'browser' },
            { label: 'Systems', property: 'os' },
          ]}
        />
        <Panel
          title="Identified"
          base={base}
          view={view}
          onPick={pick}
          empty="No identified visitors in this period yet: they appear once visitors fill in a form or are identified."
          tabs={[
            { label: 'Companies', property: 'company', more: ['company:not_null'] },
            { label: 'People', property: 'person', more: ['person:not_null'] },
            { label: 'Networks', property: 'network', more: ['network_type:eq:business'], heading: 'Company network' },
          ]}
        />
      </div>
    </>
  );
}

function Headline({ aggregate }: { aggregate: StatsAggregate }) {
  const previous = aggregate.previous_range;
  return (
    <section aria-label="Headline numbers" className="headline">
      {HEADLINE.map(({ metric, label, format, upIsGood }) => {
        const r = aggregate.results[metric];
        if (!r) return null;
        const change = r.change ?? 0;
        const direction = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
        const good = direction === 'flat' ? 'flat' : (direction === 'up') === upIsGood ? 'good' : 'bad';
        const amount = metric === 'bounce_rate' ? `${Math.abs(change)} pts` : `${Math.abs(change)}%`;
        const spoken =
          direction === 'flat'
            ? 'no change from the previous period'
            : `${direction} ${amount} from ${format(r.previous ?? 0)} in the previous period${previous ? ` (${previous.from} to ${previous.to})` : ''}`;
        return (
          <div key={metric} className="stat" data-metric={metric}>
            <div className="stat-label">{label}</div>
            <div className="stat-value">{format(r.value)}</div>
            <div className={`stat-change stat-${good}`} title={spoken}>
              <span aria-hidden="true">{direction === 'up' ? '▲' : direction === 'down' ? '▼' : '–'}</span>{' '}
              <span aria-hidden="true">{direction === 'flat' ? '0%' : amount}</span>
              <span className="visually-hidden">{spoken}</span>
            </div>
          </div>
        );
      })}
    </section>
  );
}

function ChartCard({ series }: { series: StatsTimeseries }) {
  const captionId = useId();
  const points = series.results.map((r) => ({
    ...bucketLabels(r.date, series.interval),
    visitors: r.visitors ?? 0,
    pageviews: r.pageviews ?? 0,
  }));
  const per = series.interval === 'hour' ? 'hour' : series.interval;
  return (
    <figure className="card chart-card" aria-labelledby={captionId}>
      <figcaption id={captionId}>Visitors and page views per {per}</figcaption>
      <Suspense fallback={<div className="chart-placeholder">Loading the chart…</div>}>
        <StatsChart points={points} />
      </Suspense>
      <details>
        <summary>Show the numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">
                {series.interval === 'hour' ? 'Hour' : series.interval === 'month' ? 'Month' : series.interval === 'week' ? 'Week' : 'Day'}
              </th>
              <th scope="col">Visitors</th>
              <th scope="col">Page views</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.title}>
                <td>{p.title}</td>
                <td>{formatCount(p.visitors)}</td>
                <td>{formatCount(p.pageviews)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function Chips({ chips, onRemove }: { chips: readonly Chip[]; onRemove: (chip: Chip) => void }) {
  if (chips.length === 0) return null;
  return (
    <ul className="filter-chips" aria-label="Filters">
      {chips.map((c) => {
        const name = c.property === 'person' && c.value ? `${c.value.slice(0, 10)}…` : valueName(c.property, c.value);
        return (
          <li key={c.property} className="filter-chip">
            <span>
              {PROPERTY_LABEL[c.property] ?? c.property} is <strong>{name}</strong>
            </span>
            <button
              type="button"
              className="filter-chip-remove"
              aria-label={`Remove filter ${PROPERTY_LABEL[c.property] ?? c.property} is ${name}`}
              onClick={() => onRemove(c)}
            >
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function PeriodPicker({ view, onView }: { view: OverviewView; onView: (v: OverviewView) => void }) {
  const [from, setFrom] = useState(view.from);
  const [to, setTo] = useState(view.to);
  const [custom, setCustom] = useState(view.period === 'custom');
  useEffect(() => {
    setFrom(view.from);
    setTo(view.to);
    setCustom(view.period === 'custom');
  }, [view.from, view.to, view.period]);
  const bad = custom && (!from || !to || to < from);
  return (
    <form
      className="period-picker"
      onSubmit={(e) => {
        e.preventDefault();
        if (!bad) onView({ ...view, period: 'custom', from, to });
      }}
    >
      <Field label="Period">
        {(p) => (
          <select
            {...p}
            value={custom ? 'custom' : view.period}
            onChange={(e) => {
              const period = e.target.value as Period;
              if (period === 'custom') setCustom(true);
              else onView({ ...view, period, from: '', to: '' });
            }}
          >
            {(Object.keys(PERIOD_LABEL) as Period[]).map((k) => (
              <option key={k} value={k}>
                {PERIOD_LABEL[k]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {custom ? (
        <>
          <Field label="From">{(p) => <input {...p} type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
          <Field label="To">
            {(p) => <input {...p} type="date" required value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />}
          </Field>
          <button type="submit" className="button-primary" disabled={bad}>
            Show
          </button>
        </>
      ) : null}
    </form>
  );
}

function LiveBadge({ base, projectId }: { base: string; projectId: string }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const n = await api<number>('GET', `${base}/realtime/visitors?project_id=${encodeURIComponent(projectId)}`);
        if (!stopped) setNow(n);
      } catch {
        if (!stopped) setNow(null);
      }
    };
    void load();
    const timer = setInterval(load, REALTIME_EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [base, projectId]);
  if (now === null) return null;
  return (
    <output className="live-badge" aria-live="polite" title="Visitors with an event in the last 5 minutes">
      <span className="live-dot" aria-hidden="true" />
      {formatCount(now)} {now === 1 ? 'visitor' : 'visitors'} now
    </output>
  );
}
