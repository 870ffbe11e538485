// The dashboard's People and Person pages, composed from the identity service (people, profiles,
// links) and the events service (counts and the timeline, resolved through the links exactly as the
// Events API resolves them, so the dashboard and the API never disagree about whose event is whose).
// Events are read over the Events API's longest window (400 days) ending an hour from now.

import { HOUR_MS, LONG_WINDOW_MS } from '../events/query.js';
import type { EventsService } from '../events/service.js';
import { formatIso } from '../platform/time.js';
import { IDENTITY_FIELDS, type Profile } from './fields.js';
import type { DashboardPeople, DashboardPerson, ProfileField } from './schemas.js';
import { IdentityService } from './service.js';
import { personView } from './views.js';

type Value = string | number | null | undefined;

const text = (v: Value): string | null => (v === null || v === undefined || v === '' ? null : String(v));

/** "Ann Lee" from the profile, or null when it names no one. */
export function nameOf(p: Pick<Profile, string> | null | undefined): string | null {
  return [text(p?.first_name), text(p?.last_name)].filter(Boolean).join(' ') || null;
}

/** The email to show: the work address, else the personal one, else the first of the known work addresses. */
export function emailOf(p: Pick<Profile, string> | null | undefined): string | null {
  return text(p?.current_business_email) ?? text(p?.personal_email) ?? text(p?.business_emails)?.split(',')[0]?.trim() ?? null;
}

const MONEY = new Set(['company_revenue']);

/** Every identity field of the profile with its label, group and the value as people read it. */
export function profileFields(p: Pick<Profile, string> | null | undefined): ProfileField[] {
  return IDENTITY_FIELDS.filter((f) => f.category !== 'identifier').map((f) => {
    const raw = p?.[f.key] ?? null;
    let display: string | null = text(raw);
    if (display !== null && f.options) {
      // Multiselect values are comma-separated option values.
      display = display
        .split(',')
        .map((v) => f.options?.find((o) => o.value === v.trim())?.label ?? v.trim())
        .join(', ');
    } else if (typeof raw === 'number') {
      display = MONEY.has(f.key) ? `$${raw.toLocaleString('en-US')}` : raw.toLocaleString('en-US');
    }
    return { key: f.key, label: f.display_name, category: f.category as ProfileField['category'], value: raw, display };
  });
}

function eventWindow(now: number): { start_ms: string; end_ms: string } {
  const end = now + HOUR_MS;
  return { start_ms: String(end - LONG_WINDOW_MS), end_ms: String(end) };
}

const ofPerson = (hem: string) => `hem_sha256:eq:${hem}`;

export async function peoplePage(
  deps: { identity: IdentityService; events: EventsService },
  organizationId: string,
  page: { limit: number; offset: number },
  now: number,
): Promise<DashboardPeople> {
  const { people, total } = await deps.identity.people(organizationId, page);
  // One grouped count for the page's people, not one query each.
  const filter = people.map((p) => ofPerson(p.hem_sha256)).join('|');
  const counts = new Map<unknown, number>();
  if (filter) {
    const params = { organization_id: organizationId, filter, ...eventWindow(now) };
    for (const c of await deps.events.countByValue(organizationId, params, 'hem_sha256', true)) counts.set(c.value, c.count);
  }
  return {
    total,
    limit: page.limit,
    offset: page.offset,
    people: people.map((p) => ({
      hem_sha256: p.hem_sha256,
      name: nameOf(p.profile),
      email: emailOf(p.profile),
      company_name: text(p.profile?.company_name),
      job_title: text(p.profile?.job_title),
      has_profile: p.profile !== null,
      last_seen: formatIso(p.last_seen),
      visitors: p.visitors,
      events: counts.get(p.hem_sha256) ?? 0,
    })),
  };
}

export async function personPage(
  deps: { identity: IdentityService; events: EventsService },
  organizationId: string,
  hemParam: string,
  timeline: { limit: number; page: number },
  now: number,
): Promise<DashboardPerson> {
  const hem = IdentityService.sha256Param(hemParam);
  const { profile, links } = await deps.identity.person(organizationId, hem);
  const events = await deps.events.recent(organizationId, { filter: ofPerson(hem), ...eventWindow(now), ...timeline });
  const person = personView(hem, profile, links, (p) => deps.identity.record(p));
  return {
    ...person,
    name: nameOf(profile),
    email: emailOf(profile),
    fields: profileFields(profile),
    timeline: { events: events.events, count: events.count, limit: events.limit, page: events.page, has_more: events.has_more },
  };
}
