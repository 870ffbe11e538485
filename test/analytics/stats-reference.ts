// The stats rules of src/analytics/stats.ts computed the plain way, in memory, from raw event rows:
// what the engines' SQL must agree with. Written without any of the SQL builder's code (only the
// documented source list and its reference classifier), so a mistake in the builder shows up as a
// difference here.
import type { BreakdownRow, StatsCondition, StatsFilter, StatsProperty, StatsTotals } from '../../src/analytics/stats.js';
import { classifyVisit } from '../../src/stats/sources.js';

export interface RawEvent {
  event_id: string;
  event_type: string;
  ts_millis: number;
  organization_id: string;
  pixel_id: string;
  visitor_id: string | null;
  session_id: string | null;
  url: string | null;
  path: string | null;
  referrer: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
  browser: string | null;
  os: string | null;
  device_type: string | null;
  network_org: string | null;
  network_type: string | null;
  is_bot: boolean;
}

const DAY = 86_400_000;
const PASSIVE = new Set(['scroll_depth', 'user_idle', 'exit_intent']);

export interface RefVisit {
  key: string;
  start: number;
  end: number;
  visitor: string;
  events: RawEvent[];
  props: Record<string, string>;
  interactions: number;
}

/** Identity of visitors: visitor id → { hem, company }. */
export type Identities = ReadonlyMap<string, { hem: string; company: string | null }>;

const byTime = (a: RawEvent, b: RawEvent): number =>
  a.ts_millis - b.ts_millis || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
const s = (v: string | null): string => v ?? '';

export function visitsOf(events: readonly RawEvent[], identities: Identities = new Map()): RefVisit[] {
  const groups = new Map<string, RawEvent[]>();
  for (const e of events) {
    if (e.is_bot || e.session_id === null) continue;
    const key = `${e.pixel_id}|${e.session_id}|${Math.floor(e.ts_millis / DAY)}`;
    const list = groups.get(key) ?? [];
    list.push(e);
    groups.set(key, list);
  }
  return [...groups].map(([key, list]) => {
    list.sort(byTime);
    const first = list[0] as RawEvent;
    const views = list.filter((e) => e.event_type === 'page_view');
    const cls = classifyVisit({
      referrer: s(first.referrer),
      url: s(first.url),
      utm_source: s(first.utm_source),
      utm_medium: s(first.utm_medium),
      utm_campaign: s(first.utm_campaign),
    });
    const visitor = s(first.visitor_id);
    const id = identities.get(visitor);
    return {
      key,
      start: first.ts_millis,
      end: (list[list.length - 1] as RawEvent).ts_millis,
      visitor,
      events: list,
      interactions: list.filter((e) => !PASSIVE.has(e.event_type)).length,
      props: {
        entry_page: views.length ? s((views[0] as RawEvent).path) : '',
        exit_page: views.length ? s((views[views.length - 1] as RawEvent).path) : '',
        source: cls.source,
        channel: cls.channel,
        referrer: cls.referrer,
        utm_source: s(first.utm_source),
        utm_medium: s(first.utm_medium),
        utm_campaign: s(first.utm_campaign),
        country: s(first.country),
        region: s(first.region),
        city: s(first.city),
        browser: s(first.browser),
        os: s(first.os),
        device: s(first.device_type),
        network: s(first.network_org),
        network_type: s(first.network_type),
        company: id?.company ?? '',
        person: id?.hem ?? '',
      },
    };
  });
}

const eventProp = (e: RawEvent, p: StatsProperty): string | undefined =>
  p === 'page' ? s(e.path) : p === 'event_type' ? e.event_type : undefined;

function holds(c: StatsCondition, value: string): boolean {
  if (c.op === 'not_null') return value !== '';
  if (c.value === null) return c.op === 'eq' ? value === '' : value !== '';
  if (c.op === 'eq') return value === c.value;
  if (value === '') return false;
  const v = c.value;
  switch (c.op) {
    case 'ne':
      return value !== v;
    case 'gt':
      return value > v;
    case 'gte':
      return value >= v;
    case 'lt':
      return value < v;
    case 'lte':
      return value <= v;
    case 'like': {
      let re = '';
      for (let i = 0; i < v.length; i++) {
        const ch = v[i] as string;
        if (ch === '\\' && i + 1 < v.length) re += (v[++i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        else if (ch === '%') re += '[\\s\\S]*';
        else if (ch === '_') re += '[\\s\\S]';
        else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      return new RegExp(`^${re}$`).test(value);
    }
  }
}

function matches(filter: StatsFilter | undefined, v: RefVisit, e: RawEvent): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((g) => g.every((c) => holds(c, eventProp(e, c.property) ?? (v.props[c.property] as string))));
}

interface Matched {
  visit: RefVisit;
  events: RawEvent[];
}

function totalsOf(rows: readonly Matched[], identities: Identities): StatsTotals {
  const visitors = new Set(rows.map((r) => r.visit.visitor).filter((v) => v !== ''));
  return {
    visitors: visitors.size,
    visits: rows.length,
    pageviews: rows.reduce((n, r) => n + r.events.filter((e) => e.event_type === 'page_view').length, 0),
    events: rows.reduce((n, r) => n + r.events.length, 0),
    bounces: rows.filter((r) => r.visit.interactions <= 1).length,
    durationMs: rows.reduce((n, r) => n + r.visit.end - r.visit.start, 0),
    identifiedVisitors: [...visitors].filter((v) => identities.has(v)).length,
  };
}

export interface RefQuery {
  pixelIds: readonly string[];
  startMs: number;
  endMs: number;
  filter?: StatsFilter;
}

function matched(visits: readonly RefVisit[], q: RefQuery): Matched[] {
  const out: Matched[] = [];
  for (const v of visits) {
    if (!q.pixelIds.includes(v.key.split('|')[0] as string) || v.start < q.startMs || v.start >= q.endMs) continue;
    const events = v.events.filter((e) => matches(q.filter, v, e));
    if (events.length > 0) out.push({ visit: v, events });
  }
  return out;
}

export function refTotals(visits: readonly RefVisit[], q: RefQuery, identities: Identities = new Map()): StatsTotals {
  return totalsOf(matched(visits, q), identities);
}

/** Totals per bucket key, where `bucketOf` maps a visit start to its bucket. */
export function refTimeseries(
  visits: readonly RefVisit[],
  q: RefQuery,
  bucketOf: (ms: number) => number,
  identities: Identities = new Map(),
): { bucket: number; totals: StatsTotals }[] {
  const groups = new Map<number, Matched[]>();
  for (const m of matched(visits, q)) {
    const b = bucketOf(m.visit.start);
    groups.set(b, [...(groups.get(b) ?? []), m]);
  }
  return [...groups].sort((a, b) => a[0] - b[0]).map(([bucket, rows]) => ({ bucket, totals: totalsOf(rows, identities) }));
}

export function refBreakdown(
  visits: readonly RefVisit[],
  q: RefQuery,
  property: StatsProperty,
  identities: Identities = new Map(),
): BreakdownRow[] {
  const groups = new Map<string, Matched[]>();
  for (const m of matched(visits, q)) {
    const event = eventProp(m.events[0] as RawEvent, property) !== undefined;
    if (event) {
      const byValue = new Map<string, RawEvent[]>();
      for (const e of m.events) {
        const value = eventProp(e, property) as string;
        byValue.set(value, [...(byValue.get(value) ?? []), e]);
      }
      for (const [value, events] of byValue) groups.set(value, [...(groups.get(value) ?? []), { visit: m.visit, events }]);
    } else {
      const value = m.visit.props[property] as string;
      groups.set(value, [...(groups.get(value) ?? []), m]);
    }
  }
  return [...groups]
    .map(([value, rows]) => ({ value, totals: totalsOf(rows, identities) }))
    .sort(
      (a, b) =>
        b.totals.visitors - a.totals.visitors || b.totals.visits - a.totals.visits || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
}
