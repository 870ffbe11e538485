// The overview's view, kept in the URL so a view can be bookmarked and shared: the project, the
// period (a preset, or a custom range of days), and the filters shown as chips. Filters become the
// Stats API's `filters` parameter (the Events API grammar, every chip an `eq`, chips ANDed).
import { quoteValue } from './filter';
import type { Period } from './types';

export interface Chip {
  property: string;
  /** null: "no value" (eq:null). */
  value: string | null;
}

export interface OverviewView {
  project: string;
  period: Period;
  from: string;
  to: string;
  chips: Chip[];
}

export const PERIOD_LABEL: Record<Period, string> = {
  day: 'Today',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  month: 'This month',
  '6mo': 'Last 6 months',
  '12mo': 'Last 12 months',
  custom: 'Custom range',
};
const PERIODS = Object.keys(PERIOD_LABEL) as Period[];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function readView(search: URLSearchParams): OverviewView {
  const period = search.get('period') as Period | null;
  const chips = search.getAll('f').flatMap((raw): Chip[] => {
    const i = raw.indexOf(':');
    const property = i < 0 ? raw : raw.slice(0, i);
    if (!/^[a-z_]{1,30}$/.test(property)) return [];
    return [{ property, value: i < 0 ? null : raw.slice(i + 1) }];
  });
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  return {
    project: search.get('project') ?? '',
    period: period && PERIODS.includes(period) && (period !== 'custom' || (DAY.test(from) && DAY.test(to))) ? period : '30d',
    from,
    to,
    chips,
  };
}

export function writeView(v: OverviewView): string {
  const q = new URLSearchParams();
  if (v.project) q.set('project', v.project);
  if (v.period !== '30d') q.set('period', v.period);
  if (v.period === 'custom') {
    q.set('from', v.from);
    q.set('to', v.to);
  }
  for (const c of v.chips) q.append('f', c.value === null ? c.property : `${c.property}:${c.value}`);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Adds a chip, replacing one on the same property. */
export const withChip = (v: OverviewView, chip: Chip): OverviewView => ({
  ...v,
  chips: [...v.chips.filter((c) => c.property !== chip.property), chip],
});

/** The Stats API parameters of the view (scope, period, filters), plus `extra` and conditions of a panel's own. */
export function statsParams(v: OverviewView, extra: Record<string, string> = {}, more: readonly string[] = []): URLSearchParams {
  const q = new URLSearchParams({ project_id: v.project, period: v.period });
  if (v.period === 'custom') q.set('date', `${v.from},${v.to}`);
  const filters = [
    ...v.chips.map((c) => (c.value === null ? `${c.property}:eq:null` : `${c.property}:eq:${c.value === '' ? '""' : quoteValue(c.value)}`)),
    ...more,
  ].join(',');
  if (filters) q.set('filters', filters);
  for (const [k, val] of Object.entries(extra)) q.set(k, val);
  return q;
}
