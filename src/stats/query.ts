// Turns Stats API query parameters into what the analytics store answers: metrics, the breakdown
// property (Plausible's `event:page` and `visit:source` spellings are read too), and `filters` in
// the Events API's grammar over the stats properties. Every rejection says why, with the documented
// "Invalid parameters." error.
import { checkLikePattern, FILTER_LIMITS, isFilterOp, type ParseResult, parseConditions } from '../analytics/filter.js';
import { isStatsProperty, STATS_PROPERTIES, type StatsCondition, type StatsFilter, type StatsProperty } from '../analytics/stats.js';
import { fail } from '../platform/errors.js';
import { METRICS, type Metric } from './schemas.js';

const invalid = (details: string) => fail('invalid_parameters', details);

export function parseMetrics(raw: string | undefined): Metric[] {
  if (raw === undefined || raw.trim() === '') return ['visitors'];
  const out: Metric[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (!(METRICS as readonly string[]).includes(name)) {
      throw invalid(`unknown metric "${name.slice(0, 60)}" (expected some of ${METRICS.join(', ')})`);
    }
    if (!out.includes(name as Metric)) out.push(name as Metric);
  }
  return out;
}

/** Plausible's names for the properties that are spelled differently here. */
const PLAUSIBLE: Record<string, StatsProperty> = { 'event:name': 'event_type', 'event:page': 'page', 'visit:device': 'device' };

export function parseProperty(raw: string): StatsProperty {
  const name = PLAUSIBLE[raw] ?? raw.replace(/^(event|visit):/, '');
  if (!isStatsProperty(name)) throw invalid(`unknown property "${raw.slice(0, 60)}" (expected one of ${STATS_PROPERTIES.join(', ')})`);
  return name;
}

function checkStatsCondition(field: string, op: string, value: string | null): ParseResult<StatsCondition> {
  if (!isStatsProperty(field)) return { ok: false, error: `unknown property "${field}" (expected one of ${STATS_PROPERTIES.join(', ')})` };
  if (!isFilterOp(op)) return { ok: false, error: `unknown operator "${op}"` };
  if (op === 'not_null') return { ok: true, value: { property: field, op, value: null } };
  if (value === null && op !== 'eq' && op !== 'ne')
    return { ok: false, error: `null can only be compared with eq or ne (property "${field}")` };
  if (value !== null && value.length > FILTER_LIMITS.maxValueLength) {
    return { ok: false, error: `value for "${field}" is longer than ${FILTER_LIMITS.maxValueLength} characters` };
  }
  if (op === 'like' && value !== null) {
    const bad = checkLikePattern(value);
    if (bad) return { ok: false, error: `like pattern for "${field}": ${bad}` };
  }
  return { ok: true, value: { property: field, op, value } };
}

export function parseStatsFilter(raw: string | undefined): StatsFilter | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const r = parseConditions(raw, checkStatsCondition);
  if (!r.ok) throw invalid(`filters: ${r.error}`);
  return r.value;
}

/** Properties and metrics that name people: not for a legacy token that did not pick its organization. */
export const IDENTITY_PROPERTIES: ReadonlySet<StatsProperty> = new Set(['company', 'person']);
