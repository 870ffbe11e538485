// Events: the organization's recent events with filters (pixel, type, resolved, a search in the URL
// and title, time range), a chart of events per hour or day, the full event on click, and the
// current filter as a CSV or NDJSON download. Filters live in the URL, so a filtered view can be
// bookmarked or shared, and the pixel page links straight to its events.
import { useEffect, useMemo, useState } from 'react';
import { BarChart } from '../components/BarChart';
import { Dialog } from '../components/Dialog';
import { Badge, EmptyState, ErrorMessage, Field, Loading, PageHeader } from '../components/ui';
import { api, errorText } from '../lib/api';
import { fillBuckets } from '../lib/buckets';
import { buildFilter, type ResolvedFilter } from '../lib/filter';
import { eventTypeName, formatDateSeconds, isMillisField, shortVisitor } from '../lib/format';
import { useResource } from '../lib/hooks';
import { Link, navigate, useLocation } from '../lib/router';
import type { DashboardPixelListBody, EventCounts, EventRecord, OrganizationRef, ProjectListBody, RecentEventsPage } from '../lib/types';

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
type RangeKey = keyof typeof RANGES | 'custom';
const RANGE_LABEL: Record<RangeKey, string> = {
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  custom: 'Custom range',
};
const PAGE_SIZE = 50;
const EVENT_TYPES = [
  'page_view',
  'click',
  'form_submission',
  'scroll_depth',
  'file_download',
  'copy',
  'exit_intent',
  'user_idle',
  'identify',
];

interface Filters {
  pixel: string;
  type: string;
  search: string;
  resolved: ResolvedFilter;
  range: RangeKey;
  from: string;
  to: string;
  interval: 'auto' | 'hour' | 'day';
}

function readFilters(search: URLSearchParams): Filters {
  const range = search.get('range') ?? '24h';
  const resolved = search.get('resolved');
  const interval = search.get('interval');
  return {
    pixel: search.get('pixel') ?? '',
    type: search.get('type') ?? '',
    search: search.get('q') ?? '',
    resolved: resolved === 'yes' || resolved === 'no' ? resolved : 'any',
    range: range in RANGES || range === 'custom' ? (range as RangeKey) : '24h',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
    interval: interval === 'hour' || interval === 'day' ? interval : 'auto',
  };
}

function writeFilters(f: Filters): string {
  const q = new URLSearchParams();
  if (f.pixel) q.set('pixel', f.pixel);
  if (f.type.trim()) q.set('type', f.type.trim());
  if (f.search.trim()) q.set('q', f.search.trim());
  if (f.resolved !== 'any') q.set('resolved', f.resolved);
  if (f.range !== '24h') q.set('range', f.range);
  if (f.range === 'custom') {
    q.set('from', f.from);
    q.set('to', f.to);
  }
  if (f.interval !== 'auto') q.set('interval', f.interval);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The time window in epoch ms, or a sentence saying what is wrong with a custom range. */
function windowOf(f: Filters, now: number): { startMs: number; endMs: number } | string {
  if (f.range !== 'custom') return { startMs: now - RANGES[f.range], endMs: now + 60_000 };
  const startMs = Date.parse(f.from);
  const endMs = Date.parse(f.to);
  if (Number.isNaN(startMs) || Number.isNaN(endMs)) return 'Choose both a start and an end for the custom range.';
  if (endMs <= startMs) return 'The end of the range must be after its start.';
  if (endMs - startMs > 400 * 86_400_000) return 'The range can span at most 400 days.';
  return { startMs, endMs };
}

export function EventsPage({ org }: { org: OrganizationRef }) {
  const { path, search } = useLocation();
  const searchKey = search.toString();
  const applied = useMemo(() => readFilters(new URLSearchParams(searchKey)), [searchKey]);
  const [form, setForm] = useState<Filters>(applied);
  const [refreshes, setRefreshes] = useState(0);
  // "Now" moves when the filters change or Refresh is pressed, so presets like "last hour" stay current.
  // biome-ignore lint/correctness/useExhaustiveDependencies: searchKey and refreshes are the triggers
  const now = useMemo(() => Date.now(), [searchKey, refreshes]);
  const [open, setOpen] = useState<EventRecord | null>(null);
  const base = `/orgs/${org.organization_id}`;
  useEffect(() => setForm(applied), [applied]);

  const catalog = useResource(async () => {
    const { projects } = await api<ProjectListBody>('GET', `${base}/projects`);
    const lists = await Promise.all(projects.map((p) => api<DashboardPixelListBody>('GET', `${base}/projects/${p.project_id}/pixels`)));
    return projects.map((project, i) => ({ project, pixels: lists[i]?.pixels ?? [] }));
  }, [base]);
  const pixelTitle = useMemo(() => {
    const m = new Map<string, string>();
    for (const g of catalog.data ?? []) for (const p of g.pixels) m.set(p.pixel_id, p.title);
    return m;
  }, [catalog.data]);
  const hasPixels = pixelTitle.size > 0;

  const span = windowOf(applied, now);
  const interval: 'hour' | 'day' =
    applied.interval !== 'auto'
      ? applied.interval
      : typeof span !== 'string' && span.endMs - span.startMs > 2 * 86_400_000
        ? 'day'
        : 'hour';

  const query = (extra: Record<string, string>) => {
    if (typeof span === 'string') return null;
    const q = new URLSearchParams({ start_ms: String(Math.floor(span.startMs)), end_ms: String(Math.floor(span.endMs)), ...extra });
    if (applied.pixel) q.set('pixel_id', applied.pixel);
    const filter = buildFilter({ eventType: applied.type, resolved: applied.resolved, search: applied.search });
    if (filter) q.set('filter', filter);
    return q;
  };

  const [rows, setRows] = useState<EventRecord[]>([]);
  const [more, setMore] = useState<{ page: number } | null>(null);
  const [moreError, setMoreError] = useState<string | null>(null);
  const key = `${writeFilters(applied)}|${now}`;
  const data = useResource(async () => {
    const eq = query({ limit: String(PAGE_SIZE), page: '0' });
    const cq = query({ interval });
    if (!eq || !cq) return null;
    const [page, counts] = await Promise.all([
      api<RecentEventsPage>('GET', `${base}/recent-events?${eq}`),
      api<EventCounts>('GET', `${base}/event_counts?${cq}`),
    ]);
    return { page, counts };
  }, [key, interval, base]);

  useEffect(() => {
    setRows(data.data?.page.events ?? []);
    setMore(data.data?.page.has_more ? { page: 1 } : null);
    setMoreError(null);
  }, [data.data]);

  const loadMore = async () => {
    const q = more && query({ limit: String(PAGE_SIZE), page: String(more.page) });
    if (!q || !more) return;
    try {
      const page = await api<RecentEventsPage>('GET', `${base}/recent-events?${q}`);
      // Events that arrived since the first page shift the pages by a few rows: drop what is already shown.
      setRows((r) => {
        const seen = new Set(r.map((e) => e.event_id));
        return [...r, ...page.events.filter((e) => !seen.has(e.event_id))];
      });
      setMore(page.has_more ? { page: more.page + 1 } : null);
    } catch (err) {
      setMoreError(errorText(err));
    }
  };

  const apply = (f: Filters) => {
    if (`${path}${writeFilters(f)}` === path + (searchKey ? `?${searchKey}` : '')) setRefreshes((n) => n + 1);
    else navigate(`${path}${writeFilters(f)}`);
  };
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setForm({ ...form, [k]: v });

  const counts = data.data?.counts;
  const filtered = applied.pixel !== '' || applied.type !== '' || applied.search !== '' || applied.resolved !== 'any';
  const exportHref = (format: 'csv' | 'ndjson') => {
    const q = query({ format });
    return q ? `/dashboard/api${base}/events/export?${q}` : undefined;
  };

  return (
    <>
      <PageHeader
        title="Events"
        description="What your pixels collected: page views, clicks, form submissions and more. Bots are left out."
        actions={
          <button type="button" className="button-secondary" onClick={() => setRefreshes((n) => n + 1)}>
            Refresh
          </button>
        }
      />
      <search aria-label="Event filters">
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            apply(form);
          }}
        >
          <Field label="Pixel">
            {(p) => (
              <select {...p} value={form.pixel} onChange={(e) => set('pixel', e.target.value)}>
                <option value="">All pixels</option>
                {(catalog.data ?? []).map((g) =>
                  g.pixels.length ? (
                    <optgroup key={g.project.project_id} label={g.project.name}>
                      {g.pixels.map((px) => (
                        <option key={px.pixel_id} value={px.pixel_id}>
                          {px.title}
                        </option>
                      ))}
                    </optgroup>
                  ) : null,
                )}
                {form.pixel && !pixelTitle.has(form.pixel) ? <option value={form.pixel}>{form.pixel}</option> : null}
              </select>
            )}
          </Field>
          <Field label="Search URL or title">
            {(p) => (
              <input {...p} type="search" placeholder="e.g. pricing" value={form.search} onChange={(e) => set('search', e.target.value)} />
            )}
          </Field>
          <Field label="Event type">
            {(p) => (
              <>
                <input {...p} list="event-types" placeholder="Any type" value={form.type} onChange={(e) => set('type', e.target.value)} />
                <datalist id="event-types">
                  {EVENT_TYPES.map((t) => (
                    <option key={t} value={t} label={eventTypeName(t)} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Resolved">
            {(p) => (
              <select {...p} value={form.resolved} onChange={(e) => set('resolved', e.target.value as ResolvedFilter)}>
                <option value="any">Any</option>
                <option value="yes">Resolved to a person</option>
                <option value="no">Not resolved</option>
              </select>
            )}
          </Field>
          <Field label="Time range">
            {(p) => (
              <select {...p} value={form.range} onChange={(e) => set('range', e.target.value as RangeKey)}>
                {(Object.keys(RANGE_LABEL) as RangeKey[]).map((k) => (
                  <option key={k} value={k}>
                    {RANGE_LABEL[k]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {form.range === 'custom' ? (
            <>
              <Field label="From">
                {(p) => <input {...p} type="datetime-local" required value={form.from} onChange={(e) => set('from', e.target.value)} />}
              </Field>
              <Field label="To">
                {(p) => <input {...p} type="datetime-local" required value={form.to} onChange={(e) => set('to', e.target.value)} />}
              </Field>
            </>
          ) : null}
          <Field label="Chart">
            {(p) => (
              <select {...p} value={form.interval} onChange={(e) => set('interval', e.target.value as Filters['interval'])}>
                <option value="auto">Automatic</option>
                <option value="hour">Per hour</option>
                <option value="day">Per day</option>
              </select>
            )}
          </Field>
          <div className="filter-buttons">
            <button type="submit" className="button-primary">
              Apply filters
            </button>
            {filtered || applied.range !== '24h' ? (
              <button type="button" className="button-secondary" onClick={() => apply(readFilters(new URLSearchParams()))}>
                Clear
              </button>
            ) : null}
          </div>
        </form>
      </search>

      {typeof span === 'string' ? <ErrorMessage>{span}</ErrorMessage> : null}
      <ErrorMessage>{data.error ?? catalog.error}</ErrorMessage>

      {catalog.data && !hasPixels ? (
        <EmptyState title="No events yet" action={<Link to={`/${org.organization_id}/settings/projects`}>Go to Settings › Projects</Link>}>
          Events come from pixels. Create a project, add a pixel to it, and paste the pixel's snippet into your site. Visits show up here
          within seconds.
        </EmptyState>
      ) : data.loading && !data.data ? (
        <Loading label="Loading events…" />
      ) : counts && typeof span !== 'string' ? (
        <>
          <BarChart
            buckets={fillBuckets(counts.buckets ?? [], interval, span.startMs, span.endMs, now)}
            interval={interval}
            total={counts.count}
          />
          {rows.length === 0 ? (
            <EmptyState title="No events in this range">
              {filtered
                ? 'Nothing matches these filters. Widen the time range or clear the filters.'
                : "Your pixels sent nothing in this range. Check that the snippet is in your site's <head>, then visit a page and refresh."}
            </EmptyState>
          ) : (
            <>
              <div className="table-scroll">
                <table className="events-table">
                  <caption className="visually-hidden">Events, newest first. Choose an event's time to see all of its fields.</caption>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Event</th>
                      <th scope="col">Page</th>
                      <th scope="col">Pixel</th>
                      <th scope="col">Visitor</th>
                      <th scope="col">Resolved</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((e) => (
                      <tr key={e.event_id} className="clickable" onClick={() => setOpen(e)}>
                        <td>
                          <button
                            type="button"
                            className="link-button"
                            onClick={(ev) => {
                              ev.stopPropagation();
                              setOpen(e);
                            }}
                          >
                            {formatDateSeconds(Number(e.ts_millis))}
                          </button>
                        </td>
                        <td title={e.event_type}>{eventTypeName(e.event_type)}</td>
                        <td className="truncate" title={text(e.url)}>
                          {text(e.path) || text(e.url) || '—'}
                        </td>
                        <td>{pixelTitle.get(text(e.pixel_id)) ?? text(e.pixel_id)}</td>
                        <td title={text(e.visitor_id)}>{shortVisitor(text(e.visitor_id)) || '—'}</td>
                        <td>{e.resolved === true ? <Badge tone="good">Yes</Badge> : e.resolved === false ? 'No' : 'Unknown'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <ErrorMessage>{moreError}</ErrorMessage>
              <p className="table-foot">
                Showing {rows.length.toLocaleString()} of {counts.count.toLocaleString()} events.{' '}
                <span className="export-links">
                  Download all {counts.count.toLocaleString()}:{' '}
                  <a href={exportHref('csv')} download>
                    CSV
                  </a>{' '}
                  ·{' '}
                  <a href={exportHref('ndjson')} download>
                    NDJSON
                  </a>
                </span>{' '}
                {more ? (
                  <button type="button" className="button-secondary" onClick={loadMore}>
                    Load more
                  </button>
                ) : null}
              </p>
            </>
          )}
        </>
      ) : null}

      {open ? <EventDialog event={open} pixelTitle={pixelTitle.get(text(open.pixel_id))} onClose={() => setOpen(null)} /> : null}
    </>
  );
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
/** An event's field as people read it: epoch milliseconds as a date. */
const fieldText = (k: string, v: unknown): string =>
  isMillisField(k) && /^\d{12,14}$/.test(text(v)) ? formatDateSeconds(Number(v)) : text(v);

function EventDialog({ event, pixelTitle, onClose }: { event: EventRecord; pixelTitle: string | undefined; onClose: () => void }) {
  let data: string = text(event.event_data);
  try {
    data = JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    // Not JSON: shown as stored.
  }
  const fields = Object.entries(event).filter(([k]) => k !== 'event_data');
  return (
    <Dialog title={eventTypeName(event.event_type)} onClose={onClose} wide>
      <p>
        {formatDateSeconds(Number(event.ts_millis))}
        {pixelTitle ? ` · pixel ${pixelTitle}` : ''}
      </p>
      <div className="event-detail">
        <dl className="fields">
          {fields.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v === null || v === undefined ? <span className="muted">null</span> : fieldText(k, v)}</dd>
            </div>
          ))}
        </dl>
        <h3>event_data</h3>
        <pre className="snippet">
          <code>{data || 'null'}</code>
        </pre>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
