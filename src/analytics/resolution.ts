// Resolution at query time, the engine-neutral half. An event is resolved when its visitor is linked
// to a person (or, without a visitor id, when it carries a HEM itself); its `hem_sha256` is then that
// person's and the identity fields come from their profile. Links made later resolve earlier events,
// and removing a link unresolves them, because nothing of it is stored on the events.
//
// Two plans, chosen per query: when the filter or distinct name a resolved field, the engine joins
// events with links and profiles in SQL (adapters build that source); otherwise the page is read
// from the events alone and resolved afterwards with two lookups, the page's visitors' links, then
// their people's profiles.
import type { Profile } from '../identity/fields.js';
import type { IdentityStore } from '../identity/types.js';
import {
  EVENT_FIELDS,
  type EventQuery,
  type EventRecord,
  type FieldName,
  IDENTITY_EVENT_FIELDS,
  QUERY_FIELDS,
  RESOLVED_FIELDS,
} from './types.js';

export const ALL_QUERY_FIELDS: readonly FieldName[] = QUERY_FIELDS.map((f) => f.name as FieldName);
export const STORED_FIELDS: readonly FieldName[] = EVENT_FIELDS.map((f) => f.name as FieldName);
const STORED = new Set<string>(STORED_FIELDS);
export const IDENTITY_COLUMNS: readonly FieldName[] = IDENTITY_EVENT_FIELDS.map((f) => f.name as FieldName);
const IDENTITY_FIELD_NAMES: ReadonlySet<string> = new Set(IDENTITY_COLUMNS);

/** Whether the filter or distinct needs resolved values inside the engine (the join plan). */
export function needsJoin(q: EventQuery): boolean {
  if (q.raw) return false;
  return Boolean(q.filter?.some((g) => g.some((c) => RESOLVED_FIELDS.has(c.field))) || q.distinct?.some((f) => RESOLVED_FIELDS.has(f)));
}

/**
 * Whether the join plan needs the profiles in SQL: the filter or distinct (or `field`, a grouping)
 * names a profile's field. A filter on `resolved` or `hem_sha256` alone needs only the links; the
 * page's profiles are then found for its own rows (profilesOfPage), not joined for every event.
 */
export function needsProfiles(q: EventQuery, field?: string): boolean {
  if (q.raw) return false;
  const profileField = (f: string) => IDENTITY_FIELD_NAMES.has(f);
  return Boolean(
    (field !== undefined && profileField(field)) ||
      q.filter?.some((g) => g.some((c) => profileField(c.field))) ||
      q.distinct?.some(profileField),
  );
}

/** For a join plan without profiles: the columns to read for `fields` (the resolved HEM, not the profile's fields). */
export function linkPlanRead(fields: readonly FieldName[]): FieldName[] {
  const read = fields.filter((f) => !IDENTITY_FIELD_NAMES.has(f));
  if (read.length < fields.length && !read.includes('hem_sha256')) read.push('hem_sha256');
  return read;
}

/**
 * A page read through the join plan without profiles (linkPlanRead: its rows carry their resolved
 * HEM), with exactly `fields` per row: its people's profiles looked up for its own rows.
 */
export async function profilesOfPage(
  store: IdentityStore,
  organizationId: string,
  rows: readonly EventRecord[],
  fields: readonly FieldName[],
): Promise<EventRecord[]> {
  if (!fields.some((f) => IDENTITY_FIELD_NAMES.has(f))) return [...rows];
  const resolvedHem = (r: EventRecord): string | null => (typeof r.hem_sha256 === 'string' ? r.hem_sha256 : null);
  const profiles = await profilesOf(store, organizationId, rows.map(resolvedHem));
  return applyPeople(rows, fields, resolvedHem, profiles);
}

export interface PagePlan {
  /** Stored columns to read from events. */
  read: FieldName[];
  /** Whether the page must be resolved after reading. */
  resolve: boolean;
}

/** The fields a query returns when it names none. */
export const defaultFields = (q: EventQuery): readonly FieldName[] => (q.raw ? STORED_FIELDS : ALL_QUERY_FIELDS);

/** For the lookup plan: the stored columns to read for `fields`, adding what resolution needs. */
export function pagePlan(fields: readonly FieldName[], raw = false): PagePlan {
  const resolve = !raw && fields.some((f) => RESOLVED_FIELDS.has(f));
  const read = fields.filter((f) => STORED.has(f));
  if (resolve) for (const f of ['visitor_id', 'hem_sha256'] as const) if (!read.includes(f)) read.push(f);
  return { read, resolve };
}

/** Who the rows of a page are: their visitors' current people, and those people's profiles. */
export interface PagePeople {
  links: ReadonlyMap<string, string>;
  profiles: ReadonlyMap<string, Profile>;
}

/**
 * A store that can find a page's people in one query instead of two (links, then profiles): the
 * links of `visitors` and the profiles of their people and of `hems` (the HEMs of rows without a
 * visitor id). Null when it cannot for these, and the two lookups are made instead.
 */
export interface PeopleLookup {
  pagePeople?(organizationId: string, visitors: readonly string[], hems: readonly string[]): Promise<PagePeople | null>;
}

/**
 * Looks up the people of a page's rows (only `visitor_id` and `hem_sha256` of each are read): the
 * links of its visitors, then the profiles of their people when `fields` asks for identity fields.
 */
async function lookupPeople(
  store: IdentityStore & PeopleLookup,
  organizationId: string,
  rows: readonly EventRecord[],
  fields: readonly FieldName[],
): Promise<PagePeople> {
  const visitors = [...new Set(rows.map((r) => r.visitor_id).filter((v): v is string => typeof v === 'string'))];
  const wantsProfile = fields.some((f) => IDENTITY_COLUMNS.includes(f));
  if (wantsProfile && store.pagePeople) {
    const own = rows.map((r) => (typeof r.visitor_id === 'string' ? null : r.hem_sha256)).filter((h): h is string => typeof h === 'string');
    const people = await store.pagePeople(organizationId, visitors, [...new Set(own)]);
    if (people) return people;
  }
  const links = new Map((await store.linksOfVisitors(organizationId, visitors)).map((l) => [l.visitor_id, l.hem_sha256]));
  const profiles = wantsProfile
    ? await profilesOf(
        store,
        organizationId,
        rows.map((r) => hemOf(r, links)),
      )
    : new Map<string, Profile>();
  return { links, profiles };
}

/** The profiles of the given HEMs (nulls and repeats skipped), by HEM. */
async function profilesOf(store: IdentityStore, organizationId: string, hems: readonly (string | null)[]): Promise<Map<string, Profile>> {
  const unique = [...new Set(hems.filter((h): h is string => h !== null))];
  if (unique.length === 0) return new Map();
  return new Map((await store.getProfiles(organizationId, unique)).map((p) => [p.hem_sha256, p]));
}

const hemOf = (r: EventRecord, links: ReadonlyMap<string, string>): string | null =>
  typeof r.visitor_id === 'string' ? (links.get(r.visitor_id) ?? null) : typeof r.hem_sha256 === 'string' ? r.hem_sha256 : null;

/** The page's rows resolved (each row's person by `hemOfRow`, their profiles in `profiles`), exactly `fields` per row. */
function applyPeople(
  rows: readonly EventRecord[],
  fields: readonly FieldName[],
  hemOfRow: (r: EventRecord) => string | null,
  profiles: ReadonlyMap<string, Profile>,
): EventRecord[] {
  return rows.map((r) => {
    const hem = hemOfRow(r);
    const profile = hem ? profiles.get(hem) : undefined;
    const out: EventRecord = {};
    for (const f of fields) {
      if (f === 'hem_sha256') out[f] = hem;
      else if (f === 'resolved') out[f] = hem !== null;
      else if (STORED.has(f)) out[f] = r[f] ?? null;
      else out[f] = (profile?.[f] as string | number | null | undefined) ?? null;
    }
    return out;
  });
}

/**
 * Resolves a page read with `pagePlan` in place and returns exactly `fields` per row: links of the
 * page's visitors, then the profiles of their people.
 */
export async function resolvePage(
  store: IdentityStore & PeopleLookup,
  organizationId: string,
  rows: EventRecord[],
  fields: readonly FieldName[],
  plan: PagePlan,
): Promise<EventRecord[]> {
  if (!plan.resolve) return rows;
  const people = await lookupPeople(store, organizationId, rows, fields);
  return applyPeople(rows, fields, (r) => hemOf(r, people.links), people.profiles);
}
