// Turns Events API query parameters into an analytics query: scope (pixel_id > project_id >
// organization_id, always inside the caller's organization), time (start_ms/end_ms or
// start_time/end_time), filter, select, distinct and paging. Every rejection says why, with the
// documented "Invalid parameters." message.
import { checkCondition, isStoredFieldName, parseFieldList, parseFilter } from '../analytics/filter.js';
import type { EventQuery, FieldName, Filter } from '../analytics/types.js';
import type { PixelsService } from '../pixels/service.js';
import { fail } from '../platform/errors.js';
import type { ProjectsService } from '../projects/service.js';

export const HOUR_MS = 3_600_000;
/** Delivr's window for offset paging. */
export const OFFSET_WINDOW_MS = 25 * HOUR_MS;
/** Cursor paging, exports and counts may span up to this. */
export const LONG_WINDOW_MS = 400 * 24 * HOUR_MS;
export const DEFAULT_LIMIT = 300;

export interface EventsParams {
  source?: string;
  pixel_id?: string;
  project_id?: string;
  organization_id?: string;
  campaign_id?: string;
  start_ms?: string;
  end_ms?: string;
  start_time?: string;
  end_time?: string;
  filter?: string;
  select?: string;
  distinct?: string;
  include_bots?: string;
}

const invalid = (details: string) => fail('invalid_parameters', details);

/** RFC 3339, `YYYY-MM-DD` (a whole UTC day), or a Unix timestamp in seconds or milliseconds. */
export function parseTime(raw: string, name: string, edge: 'start' | 'end'): number {
  const v = raw.trim();
  if (/^\d{1,16}$/.test(v)) {
    const n = Number(v);
    return n < 100_000_000_000 ? n * 1000 + (edge === 'end' ? 999 : 0) : n;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = Date.parse(`${v}T00:00:00Z`);
    if (Number.isNaN(t)) throw invalid(`${name} is not a valid date`);
    return edge === 'end' ? t + 24 * HOUR_MS - 1 : t;
  }
  if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw invalid(`${name} must be RFC 3339, YYYY-MM-DD or a Unix timestamp`);
}

function parseMs(raw: string, name: string): number {
  if (!/^-?\d{1,16}$/.test(raw)) throw invalid(`${name} must be epoch milliseconds`);
  return Number(raw);
}

export function timeRange(p: EventsParams, maxWindowMs: number, windowHint: string): { startMs: number; endMs: number } {
  let startMs: number;
  let endMs: number;
  if (p.start_ms !== undefined || p.end_ms !== undefined) {
    if (p.start_ms === undefined || p.end_ms === undefined) throw invalid('start_ms and end_ms go together');
    startMs = parseMs(p.start_ms, 'start_ms');
    endMs = parseMs(p.end_ms, 'end_ms');
  } else if (p.start_time !== undefined || p.end_time !== undefined) {
    if (p.start_time === undefined || p.end_time === undefined) throw invalid('start_time and end_time go together');
    startMs = parseTime(p.start_time, 'start_time', 'start');
    endMs = parseTime(p.end_time, 'end_time', 'end');
  } else {
    throw invalid('a time range is required: start_ms and end_ms, or start_time and end_time');
  }
  if (endMs < startMs) throw invalid('the end of the time range is before its start');
  if (endMs - startMs > maxWindowMs) throw invalid(windowHint);
  return { startMs, endMs };
}

/** Pixels the request may read: one pixel, a project's pixels, or the whole organization's. */
export async function resolveScope(
  projects: ProjectsService,
  pixels: PixelsService,
  organizationId: string,
  p: EventsParams,
  opts: { v1: boolean },
): Promise<string[]> {
  const source = p.source ?? 'pixel';
  if (source === 'dsp' || source === 'delivrdsp') throw invalid('source=dsp (ad impression events) is not available on this server');
  if (source !== 'pixel') throw invalid('source must be pixel or dsp');
  if (p.campaign_id !== undefined) throw invalid('campaign_id applies to source=dsp, which is not available on this server');
  if (p.pixel_id) return [(await pixels.getIn([organizationId], p.pixel_id)).id];
  if (p.project_id) {
    const project = await projects.get(organizationId, p.project_id);
    return (await pixels.list(project)).map((x) => x.id);
  }
  if (opts.v1 && p.organization_id) {
    if (p.organization_id !== organizationId) throw fail('organization_not_found');
    return (await pixels.listForOrganization(organizationId)).map((x) => x.id);
  }
  throw invalid(
    opts.v1 ? 'one of pixel_id, project_id or organization_id is required' : 'pixel_id or project_id is required with source=pixel',
  );
}

/** Filter, projection, dedup and the default bot exclusion (include_bots=true keeps them). */
export function queryShape(p: EventsParams, raw = false): Pick<EventQuery, 'filter' | 'select' | 'distinct' | 'raw'> {
  const out: Pick<EventQuery, 'filter' | 'select' | 'distinct' | 'raw'> = raw ? { raw } : {};
  let filter: Filter = [];
  if (p.filter !== undefined) {
    const r = parseFilter(p.filter);
    if (!r.ok) throw invalid(`filter: ${r.error}`);
    filter = r.value;
  }
  if (p.include_bots !== 'true') {
    if (p.include_bots !== undefined && p.include_bots !== 'false') throw invalid('include_bots must be true or false');
    const noBots = checkCondition('is_bot', 'eq', 'false');
    if (!noBots.ok) throw new Error(noBots.error);
    filter = filter.length === 0 ? [[noBots.value]] : filter.map((group) => [...group, noBots.value]);
  }
  if (filter.length > 0) out.filter = filter;
  const fields = (raw: string | undefined, name: string): FieldName[] | undefined => {
    if (raw === undefined || raw.trim() === '') return undefined;
    const r = parseFieldList(raw);
    if (!r.ok) throw invalid(`${name}: ${r.error}`);
    return r.value;
  };
  const select = fields(p.select, 'select');
  const distinct = fields(p.distinct, 'distinct');
  if (raw) {
    const named = [...(select ?? []), ...(distinct ?? []), ...filter.flat().map((c) => c.field)];
    const identity = named.find((f) => !isStoredFieldName(f));
    if (identity)
      throw invalid(`"${identity}" is an identity field: send x-organization-id with a user token, or use an API key and secret`);
  }
  if (select) out.select = select;
  if (distinct) out.distinct = distinct;
  return out;
}

export interface Cursor {
  ts_millis: number;
  event_id: string;
}

export const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify([c.ts_millis, c.event_id])).toString('base64url');

export function decodeCursor(raw: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 100) {
      return { ts_millis: v[0] as number, event_id: v[1] };
    }
  } catch {
    // fall through
  }
  throw invalid('cursor is not one this server issued');
}
