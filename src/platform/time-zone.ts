// IANA time zones without a date library: validation, the UTC offset at an instant, where a local
// calendar day starts, and the instants where a zone's offset changes. The stats of a project are
// counted in its own days (a project setting), so "today" in Tokyo and in New York are different
// ranges of epoch milliseconds. Everything here runs on Node's built-in ICU (Intl), and the analytics
// engines never need time-zone support of their own: the offsets computed here become plain integer
// arithmetic in SQL, identical on DuckDB and on ClickHouse 18.16.

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA zone name this runtime knows ("UTC", "Europe/Berlin", ...). */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64 || !/^[A-Za-z0-9_+/-]+$/.test(zone)) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

let spellings: Map<string, string> | null = null;

/**
 * The zone as the IANA list spells it ("europe/berlin" → "Europe/Berlin"), or null when unknown.
 * Names ICU keeps as aliases (Asia/Kolkata for Asia/Calcutta) stay as given, not rewritten.
 */
export function canonicalTimeZone(zone: string): string | null {
  if (!isTimeZone(zone)) return null;
  spellings ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  return spellings.get(zone.toLowerCase()) ?? (zone.toUpperCase() === 'UTC' ? 'UTC' : zone);
}

/** The wall-clock time at `ms` in `zone`, as milliseconds of a UTC date with the same fields. */
export function wallClock(ms: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wholeSeconds = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wholeSeconds + (((ms % 1000) + 1000) % 1000);
}

/** `zone`'s offset from UTC at `ms`, in milliseconds (positive east of Greenwich). */
export function offsetAt(ms: number, zone: string): number {
  return wallClock(ms, zone) - ms;
}

/** Local day number (days since 1970-01-01 on the zone's calendar) of the instant `ms`. */
export function localDay(ms: number, zone: string): number {
  return Math.floor(wallClock(ms, zone) / DAY_MS);
}

/**
 * The first instant of local day `day` in `zone`. Usually local midnight; where a zone skips
 * midnight (a daylight-saving change at 00:00), the first instant that exists on that day.
 */
export function startOfLocalDay(day: number, zone: string): number {
  const wall = day * DAY_MS;
  // Local midnight under each offset the zone has around that day; the right one starts the day.
  const offsets = new Set([-2, -1, 0, 1, 2].map((k) => offsetAt(wall + (k * DAY_MS) / 2, zone)));
  const firsts = [...offsets].map((o) => wall - o).filter((t) => localDay(t, zone) === day && localDay(t - 1, zone) < day);
  if (firsts.length > 0) return Math.min(...firsts);
  // Not found by the offsets around the day: search the instant where the local day changes.
  let lo = wall - 2 * DAY_MS;
  let hi = wall + 2 * DAY_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(mid, zone) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The first instant whose local wall-clock time is at or after `wall` (a local hour's start). */
export function instantOfWall(wall: number, zone: string): number {
  let lo = wall - 2 * DAY_MS;
  let hi = wall + 2 * DAY_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(mid, zone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A piece of time where the zone keeps one offset: from `fromMs` (inclusive) on, until the next piece. */
export interface OffsetPiece {
  fromMs: number;
  offsetMs: number;
}

/**
 * The zone's offsets over [startMs, endMs): the first piece starts at startMs, each next one at an
 * instant where the offset changes. Probed daily, then narrowed to the millisecond.
 */
export function offsetPieces(startMs: number, endMs: number, zone: string): OffsetPiece[] {
  const pieces: OffsetPiece[] = [{ fromMs: startMs, offsetMs: offsetAt(startMs, zone) }];
  let t = startMs;
  while (t < endMs) {
    const next = Math.min(t + DAY_MS, endMs);
    const current = (pieces[pieces.length - 1] as OffsetPiece).offsetMs;
    const later = offsetAt(next, zone);
    if (later !== current) {
      let lo = t;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(mid, zone) === current) lo = mid;
        else hi = mid;
      }
      pieces.push({ fromMs: hi, offsetMs: later });
    }
    t = next;
  }
  return pieces;
}

/** `YYYY-MM-DD` of a local day number. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The local day number of `YYYY-MM-DD`, or null when it is not a real date. */
export function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

/** Month number (year * 12 + month index) of a local day number, and back. */
export const monthOfDay = (day: number): number => {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};
export const firstDayOfMonth = (month: number): number => Date.UTC(Math.floor(month / 12), month % 12, 1) / DAY_MS;

/** ISO week number of a day (weeks start on Monday; 1970-01-01 was a Thursday). */
export const weekOfDay = (day: number): number => Math.floor((day + 3) / 7);
export const firstDayOfWeek = (week: number): number => week * 7 - 3;
