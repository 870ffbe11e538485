// Identity: who the visitors are. Lookup of one person by hashed email (or email), the person's
// profile with the visitors linked to them, undoing a link, erasing a person, and the links that
// ingest learns from first-party signals (form emails, identify, server-side sends, cookie sync).
// Resolution itself happens in the analytics store, at query time, through the links.

import { parseFieldList, parseFilter } from '../analytics/filter.js';
import { matchesFilter } from '../analytics/filter-eval.js';
import type { AnalyticsStore, EventRow } from '../analytics/types.js';
import { fail } from '../platform/errors.js';
import { isEmailLike, normalizeEmail } from './email.js';
import type { ErasuresStore } from './erasures.js';
import { HEM_FIELDS, IDENTITY_KEYS, type Profile } from './fields.js';
import { hemsOf, isMd5Hex, isSha256Hex } from './hem.js';
import type { Erased, HemKind, LinkSource, NewLink, PersonSummary, Unlinked, VisitorLink } from './types.js';

/** Every field a lookup record has, in order. */
export const LOOKUP_FIELDS: readonly string[] = [...HEM_FIELDS.map((f) => f.key), ...IDENTITY_KEYS];

export interface LookupParams {
  hem?: string;
  hem_type?: string;
  email?: string;
  select?: string;
  filter?: string;
}

/** Which event types carry which link source. */
const SOURCE_OF_EVENT: Record<string, LinkSource> = { form_submission: 'form', identify: 'identify' };

export class IdentityService {
  constructor(
    private readonly analytics: AnalyticsStore,
    /** Where an erasure is recorded before it is carried out (erasures.ts says why). */
    private readonly erasures: Pick<ErasuresStore, 'record'>,
    private readonly now: () => number,
  ) {}

  /** The hash to look up and its kind, from `hem` (+ `hem_type`) or `email`; the documented 400/501 otherwise. */
  static lookupKey(p: LookupParams): { hem: string; kind: HemKind } {
    const hasHem = p.hem !== undefined && p.hem !== '';
    const hasEmail = p.email !== undefined && p.email !== '';
    if (hasHem === hasEmail) throw fail('lookup_invalid');
    if (hasEmail) {
      const email = normalizeEmail(p.email as string);
      if (!isEmailLike(email)) throw fail('lookup_invalid');
      return { hem: hemsOf(email).hem_sha256, kind: 'sha256' };
    }
    const hem = (p.hem as string).toLowerCase();
    if (p.hem_type === 'sha1') throw fail('lookup_unsupported');
    const kind: HemKind | null = isSha256Hex(hem) ? 'sha256' : isMd5Hex(hem) ? 'md5' : null;
    if (!kind) throw fail('lookup_invalid');
    if (p.hem_type !== undefined && p.hem_type !== kind) throw fail('lookup_invalid');
    return { hem, kind };
  }

  /** Spec section 9: one flat record, `select`ed and `filter`ed as on events; 404 when none (or filtered out). */
  async lookup(organizationId: string, p: LookupParams): Promise<Record<string, string | number | null>> {
    const { hem, kind } = IdentityService.lookupKey(p);
    const select = p.select ? this.lookupFields(p.select) : null;
    const filter = p.filter ? parseFilter(p.filter) : null;
    if (filter && !filter.ok) throw fail('invalid_parameters', filter.error);
    if (filter?.ok) {
      const unknown = filter.value.flat().find((c) => !LOOKUP_FIELDS.includes(c.field));
      if (unknown) throw fail('invalid_parameters', `filter: "${unknown.field}" is not a field of an identity record`);
    }
    const [profile] = await this.analytics.getProfiles(organizationId, [hem], kind);
    if (!profile) throw fail('lookup_not_found');
    const record = this.record(profile);
    if (filter?.ok && !matchesFilter(record, filter.value)) throw fail('lookup_not_found');
    if (!select) return record;
    return Object.fromEntries(select.map((f) => [f, record[f] ?? null]));
  }

  private lookupFields(csv: string): string[] {
    const parsed = parseFieldList(csv);
    const names = parsed.ok ? parsed.value : csv.split(',').map((s) => s.trim());
    const unknown = names.find((n) => !LOOKUP_FIELDS.includes(n));
    if (unknown !== undefined || !parsed.ok) {
      throw fail('invalid_parameters', `select: unknown field "${unknown ?? (parsed.ok ? '' : parsed.error)}"`);
    }
    return names;
  }

  /** A profile as the flat lookup record: every field, null where unknown. */
  record(profile: Profile): Record<string, string | number | null> {
    return Object.fromEntries(LOOKUP_FIELDS.map((f) => [f, profile[f] ?? null]));
  }

  /** The person behind a SHA-256 HEM: their profile (null if none was imported yet) and linked visitors. */
  async person(organizationId: string, hemSha256: string): Promise<{ profile: Profile | null; links: VisitorLink[] }> {
    const hem = IdentityService.sha256Param(hemSha256);
    const [[profile], links] = await Promise.all([
      this.analytics.getProfiles(organizationId, [hem]),
      this.analytics.linksOfPerson(organizationId, hem),
    ]);
    if (!profile && links.length === 0) throw fail('identity_not_found');
    return { profile: profile ?? null, links };
  }

  /** Identified people (linked to at least one visitor), most recently seen first. */
  people(organizationId: string, page: { limit: number; offset: number }): Promise<{ people: PersonSummary[]; total: number }> {
    return this.analytics.listPeople(organizationId, page);
  }

  async unlink(organizationId: string, hemSha256: string, visitorId: string): Promise<Unlinked> {
    const hem = IdentityService.sha256Param(hemSha256);
    if (!(await this.analytics.unlink(organizationId, hem, visitorId))) throw fail('link_not_found');
    return { hem_sha256: hem, visitor_id: visitorId };
  }

  /** Every trace of the person: profile, links, the HEM on stored events, and their rows in stored audience runs. */
  async erase(organizationId: string, by: { hem?: string; email?: string }): Promise<Erased & { hem_sha256: string }> {
    let hem: string;
    if (by.email !== undefined) {
      const email = normalizeEmail(by.email);
      if (!isEmailLike(email)) throw fail('invalid_parameters', 'email is not a valid email address');
      hem = hemsOf(email).hem_sha256;
    } else {
      hem = IdentityService.sha256Param(by.hem ?? '');
    }
    // Recorded first: an audience run being computed now reads the record once its rows are written.
    await this.erasures.record(organizationId, hem, this.now());
    const erased = await this.analytics.erasePerson(organizationId, hem);
    if (erased.profiles + erased.links + erased.events + erased.audienceRows === 0) throw fail('identity_not_found');
    return { hem_sha256: hem, ...erased };
  }

  static sha256Param(raw: string): string {
    const hem = raw.toLowerCase();
    if (!isSha256Hex(hem)) throw fail('invalid_parameters', 'hem_sha256 must be 64 hexadecimal characters');
    return hem;
  }

  /** The links first-party events carry: a visitor id together with a HEM (form, identify, server-side send). */
  static linksOf(rows: readonly Pick<EventRow, 'visitor_id' | 'hem_sha256' | 'event_type' | 'ts_millis'>[]): NewLink[] {
    const out: NewLink[] = [];
    for (const r of rows) {
      if (!r.visitor_id || !r.hem_sha256) continue;
      out.push({
        visitor_id: r.visitor_id,
        hem_sha256: r.hem_sha256,
        source: SOURCE_OF_EVENT[r.event_type] ?? 'send_event',
        at: r.ts_millis,
      });
    }
    return out;
  }

  /** The person a visitor is linked to, if any ($DLVRHEM of redirects). */
  async hemOfVisitor(organizationId: string, visitorId: string): Promise<string | null> {
    const [link] = await this.analytics.linksOfVisitors(organizationId, [visitorId]);
    return link?.hem_sha256 ?? null;
  }

  /** Links learned from events or a cookie sync, before the events that carry them are stored. */
  async learn(organizationId: string, links: readonly NewLink[]): Promise<void> {
    if (links.length > 0) await this.analytics.linkVisitors(organizationId, links);
  }
}
