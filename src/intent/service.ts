// Intent: which people and companies are researching which topics now. Two halves meet here:
//  - at ingest, each page view's page (URL, title, description, heading) is classified for its
//    organization (its custom topics included) and stored once per URL; pages classified under an
//    older classifier version (say, before the organization's new topic was accepted) are classified
//    again before the next score is read, so scores always use the topics the organization has now;
//  - on request, activity per person or company is read from the analytics store (resolved through
//    the visitor links at query time) and scored by score.ts (signals.ts).
// The server never fetches a page: it classifies only what the tracker sent.

import type { Logger } from 'pino';
import QuickLRU from 'quick-lru';
import type { AnalyticsStore, EventRow } from '../analytics/types.js';
import { IdentityService } from '../identity/service.js';
import { fail } from '../platform/errors.js';
import type { TaxonomyService } from '../taxonomy/service.js';
import { isDomain, normalizeDomain } from './domain.js';
import type { IntentBody, IntentExplanation, IntentTopicScore, PersonIntentBody } from './schemas.js';
import { epochDay, SURGE_THRESHOLD } from './score.js';
import { BASELINE_DAYS, exactPeopleScores, explainTopic, organizationRates, scoreSubjects, windowsOf } from './signals.js';
import { type ClassifiedPage, DAY_MS, type IntentSubject, type PageText } from './types.js';

export const DEFAULT_WINDOW_DAYS = 7;
/** Pages an explanation lists. */
const EXPLAIN_PAGES = 100;
/** Surging topics the dashboard's panel explains. */
const PANEL_EXPLAINED = 5;
/** How long a process trusts that an organization's stored pages are at the current classifier version. */
const CURRENT_TTL_MS = 60_000;
/** Stale pages classified again per round trip. */
const RECLASSIFY_BATCH = 500;
/**
 * How long an organization's rates (its activity in the baseline days, all before the window) are
 * reused: they move only with late events and day changes (the key has the day).
 */
const RATES_TTL_MS = 10 * 60_000;

type Subject = Extract<IntentSubject, { kind: 'person' | 'company' }>;

export interface SubjectParams {
  hem?: string | undefined;
  company_domain?: string | undefined;
}

/** For audiences: one person's score on one topic. */
export interface PersonTopicScore {
  hem_sha256: string;
  topic_id: string;
  intent_score: number;
  intent_frequency: number;
  surging: boolean;
}

const round = (n: number, digits = 4): number => Math.round(n * 10 ** digits) / 10 ** digits;
const dayString = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export class IntentService {
  /** organization + URL → what was last stored for it (page text and version), so a known page costs no write. */
  private readonly stored = new QuickLRU<string, string>({ maxSize: 50_000 });
  private readonly current = new Map<string, { version: string; at: number }>();
  private readonly reclassifying = new Map<string, Promise<void>>();
  private readonly rates = new QuickLRU<string, Promise<Map<string, number>>>({ maxSize: 2000, maxAge: RATES_TTL_MS });

  constructor(
    private readonly store: AnalyticsStore,
    private readonly taxonomy: TaxonomyService,
    private readonly now: () => number,
    private readonly log: Pick<Logger, 'warn'> | null = null,
  ) {}

  /**
   * At ingest, while the events commit (the answer waits for both): classifies the pages of non-bot
   * page views that are new or changed (or were classified under another version) and stores their
   * topics. A failure here never fails ingest: it is logged, and the page is classified on its next view.
   */
  learnPages(rows: readonly EventRow[]): Promise<void> | undefined {
    // Most page views are of pages already stored under the current version: known without waiting
    // for anything, and then no promise is made (this runs for every ingest request).
    let byOrganization: Map<string, Map<string, PageText>> | null = null;
    for (const r of rows) {
      if (r.event_type !== 'page_view' || r.is_bot || r.url === null) continue;
      const page = { url: r.url, title: r.title ?? '', description: r.description ?? '', heading: r.heading ?? '' };
      const version = this.taxonomy.knownClassifierVersion(r.organization_id);
      if (version !== undefined && this.stored.get(this.key(r.organization_id, r.url)) === fingerprint(page, version)) continue;
      byOrganization ??= new Map();
      const pages = byOrganization.get(r.organization_id) ?? new Map<string, PageText>();
      byOrganization.set(r.organization_id, pages);
      pages.set(r.url, page);
    }
    return byOrganization === null ? undefined : this.classifyAndStore(byOrganization);
  }

  private async classifyAndStore(byOrganization: ReadonlyMap<string, ReadonlyMap<string, PageText>>): Promise<void> {
    for (const [organizationId, pages] of byOrganization) {
      try {
        const version = await this.taxonomy.classifierVersion(organizationId);
        const fresh = [...pages.values()].filter((p) => this.stored.get(this.key(organizationId, p.url)) !== fingerprint(p, version));
        if (fresh.length === 0) continue;
        await this.store.savePages(organizationId, await this.classifyAll(organizationId, fresh, version));
        for (const p of fresh) this.stored.set(this.key(organizationId, p.url), fingerprint(p, version));
      } catch (err) {
        this.log?.warn({ err, organizationId }, 'intent: could not classify pages at ingest; they are classified on their next view');
      }
    }
  }

  private key(organizationId: string, url: string): string {
    return `${organizationId}\u0000${url}`;
  }

  private async classifyAll(organizationId: string, pages: readonly PageText[], version: string): Promise<ClassifiedPage[]> {
    const at = this.now();
    return Promise.all(
      pages.map(async (p) => ({
        ...p,
        topics: (await this.taxonomy.classify(p, organizationId)).map((m) => ({
          topic_id: m.topic_id,
          relevance: Math.round(m.relevance * 100),
        })),
        version,
        classified_at: at,
      })),
    );
  }

  /** Classifies again the organization's pages stored under another classifier version (a custom topic was accepted since). */
  async ensureCurrent(organizationId: string): Promise<void> {
    const version = await this.taxonomy.classifierVersion(organizationId);
    const known = this.current.get(organizationId);
    if (known && known.version === version && this.now() - known.at < CURRENT_TTL_MS) return;
    let running = this.reclassifying.get(organizationId);
    if (!running) {
      running = this.reclassify(organizationId, version).finally(() => this.reclassifying.delete(organizationId));
      this.reclassifying.set(organizationId, running);
    }
    await running;
  }

  private async reclassify(organizationId: string, version: string): Promise<void> {
    const started = this.now();
    const done = new Set<string>();
    for (;;) {
      const stale = (await this.store.pagesNotAt(organizationId, version, RECLASSIFY_BATCH)).filter((p) => !done.has(p.url));
      // Nothing left, or only pages whose new row did not win (another process's clock ahead): stop.
      if (stale.length === 0) break;
      await this.store.savePages(organizationId, await this.classifyAll(organizationId, stale, version));
      for (const p of stale) done.add(p.url);
    }
    // Pages' topics changed: the organization's rates are computed again.
    if (done.size > 0) for (const key of [...this.rates.keys()]) if (key.startsWith(`${organizationId}:`)) this.rates.delete(key);
    this.current.set(organizationId, { version, at: started });
  }

  /** The subject named by `hem` or `company_domain` (exactly one), known to the organization; 400/404 otherwise. */
  async subjectOf(organizationId: string, p: SubjectParams): Promise<Subject> {
    const hasHem = p.hem !== undefined && p.hem !== '';
    const hasDomain = p.company_domain !== undefined && p.company_domain !== '';
    if (hasHem === hasDomain) throw fail('invalid_parameters', 'give either hem (a SHA-256 HEM) or company_domain');
    if (hasHem) {
      const hem = IdentityService.sha256Param(p.hem as string);
      const [profiles, links] = await Promise.all([
        this.store.getProfiles(organizationId, [hem]),
        this.store.linksOfPerson(organizationId, hem),
      ]);
      if (profiles.length === 0 && links.length === 0) throw fail('identity_not_found');
      return { kind: 'person', hem };
    }
    const domain = normalizeDomain(p.company_domain as string);
    if (!isDomain(domain)) throw fail('invalid_parameters', 'company_domain is not a domain');
    if ((await this.store.companyPeople(organizationId, domain)) === 0) throw fail('company_not_found');
    return { kind: 'company', domain };
  }

  private today(): number {
    return epochDay(this.now());
  }

  /** The organization's rate per topic for a window (every topic at once), shared by requests for a while. */
  private ratesFor(organizationId: string, asOfDay: number, windowDays: number): Promise<Map<string, number>> {
    const w = windowsOf(asOfDay, windowDays);
    const key = `${organizationId}:${w.baselineStart}:${w.windowStart}`;
    let rates = this.rates.get(key);
    if (!rates) {
      rates = organizationRates(this.store, organizationId, w);
      rates.catch(() => this.rates.delete(key));
      this.rates.set(key, rates);
    }
    return rates;
  }

  /** The subject's topics with page views in the window, best first. */
  async topics(organizationId: string, p: SubjectParams, windowDays = DEFAULT_WINDOW_DAYS): Promise<IntentBody> {
    const subject = await this.subjectOf(organizationId, p);
    return this.topicsOf(organizationId, subject, windowDays);
  }

  private async topicsOf(organizationId: string, subject: Subject, windowDays: number): Promise<IntentBody> {
    await this.ensureCurrent(organizationId);
    const asOfDay = this.today();
    const scores = await scoreSubjects(
      this.store,
      { organizationId, subject, asOfDay, windowDays },
      this.ratesFor(organizationId, asOfDay, windowDays),
    );
    const names = await this.names(
      organizationId,
      scores.map((s) => s.topic_id),
    );
    return {
      ...subjectOut(subject),
      window_days: windowDays,
      as_of: dayString(asOfDay),
      topics: scores.map(
        (s): IntentTopicScore => ({
          topic_id: s.topic_id,
          name: names.get(s.topic_id) ?? s.topic_id,
          intent_score: s.intent_score,
          intent_frequency: s.intent_frequency,
          surging: s.surging,
        }),
      ),
    };
  }

  /** One topic's score for the subject, with the baseline, the pages and the days that made it. */
  async explain(
    organizationId: string,
    p: SubjectParams & { topic_id: string },
    windowDays = DEFAULT_WINDOW_DAYS,
  ): Promise<IntentExplanation> {
    const subject = await this.subjectOf(organizationId, p);
    const topic = await this.taxonomy.getTopic(organizationId, p.topic_id);
    if (!topic) throw fail('topic_not_found');
    await this.ensureCurrent(organizationId);
    return this.explainOf(organizationId, subject, { id: topic.id, name: topic.name }, windowDays);
  }

  private async explainOf(
    organizationId: string,
    subject: Subject,
    topic: { id: string; name: string },
    windowDays: number,
  ): Promise<IntentExplanation> {
    const asOfDay = this.today();
    const e = await explainTopic(
      this.store,
      { organizationId, subject, asOfDay, windowDays, topicId: topic.id, pageLimit: EXPLAIN_PAGES },
      this.ratesFor(organizationId, asOfDay, windowDays),
    );
    return {
      ...subjectOut(subject),
      topic_id: topic.id,
      name: topic.name,
      intent_score: e.score.intent_score,
      intent_frequency: e.score.intent_frequency,
      surging: e.score.surging,
      window_days: windowDays,
      as_of: dayString(asOfDay),
      window: {
        start: dayString(e.windows.windowStart),
        end: dayString(asOfDay),
        observed: round(e.score.observed),
        expected: round(e.score.expected),
      },
      baseline: {
        start: dayString(e.windows.baselineStart),
        end: dayString(e.windows.windowStart - 1),
        days: BASELINE_DAYS,
        known_days: e.known_days,
        views: e.baseline.views,
        weighted: round(e.baseline.weighted),
        daily: round(e.score.baseline_daily),
        own_share: round(e.score.baseline_own_share),
        organization_daily: round(e.organization_daily_rate, 6),
      },
      pages: e.pages.map((pg) => ({ url: pg.url, title: pg.title, count: pg.views, relevance: pg.relevance / 100 })),
      days: e.window_days.map((d) => ({ date: dayString(d.day), count: d.views, weighted: round(d.weighted) })),
    };
  }

  /** The dashboard's panel on a person: every topic of the window, and the surging ones explained. */
  async personPanel(organizationId: string, hemSha256: string, windowDays = DEFAULT_WINDOW_DAYS): Promise<PersonIntentBody> {
    const subject = await this.subjectOf(organizationId, { hem: hemSha256 });
    const list = await this.topicsOf(organizationId, subject, windowDays);
    const surging = list.topics.filter((t) => t.surging).slice(0, PANEL_EXPLAINED);
    return {
      hem_sha256: (subject as Extract<Subject, { kind: 'person' }>).hem,
      window_days: windowDays,
      as_of: list.as_of,
      topics: list.topics,
      surging: await Promise.all(surging.map((t) => this.explainOf(organizationId, subject, { id: t.topic_id, name: t.name }, windowDays))),
    };
  }

  /**
   * For audiences (issue 12): the organization's people whose score on one of `topicIds` is at least
   * `minScore`, one row per person and topic, best first. A fixed number of queries for everyone
   * (activity, first days, the organization's rates), never one per person.
   */
  async peopleScores(
    organizationId: string,
    q: { topicIds: readonly string[]; windowDays: number; minScore: number; asOfDay?: number },
  ): Promise<PersonTopicScore[]> {
    if (q.topicIds.length === 0) return [];
    await this.ensureCurrent(organizationId);
    const asOfDay = q.asOfDay ?? this.today();
    const scores = await scoreSubjects(
      this.store,
      { organizationId, subject: { kind: 'people' }, asOfDay, windowDays: q.windowDays, topicIds: q.topicIds },
      this.ratesFor(organizationId, asOfDay, q.windowDays),
    );
    return scores
      .filter((s) => s.intent_score >= q.minScore)
      .map((s) => ({
        hem_sha256: s.subject,
        topic_id: s.topic_id,
        intent_score: s.intent_score,
        intent_frequency: s.intent_frequency,
        surging: s.surging,
      }));
  }

  /**
   * For audiences (issue 12) at scale: every person's score on `topicIds` in the window, computed and
   * kept inside the analytics store (AnalyticsStore.stageIntentScores) for the audience's write to
   * read, with score.ts's scores for the few pairs the engine could not round with certainty. The
   * same scores as peopleScores, without any person's activity passing through JavaScript. The
   * caller drops the stage (AnalyticsStore.dropIntentStage).
   */
  async stageScores(
    organizationId: string,
    q: { topicIds: readonly string[]; windowDays: number; asOfDay?: number },
  ): Promise<{ stage: string; pairs: number; overrides: { hem_sha256: string; topic_id: string; intent_score: number }[] }> {
    await this.ensureCurrent(organizationId);
    const asOfDay = q.asOfDay ?? this.today();
    const rates = await this.ratesFor(organizationId, asOfDay, q.windowDays);
    const staged = await this.store.stageIntentScores({
      organizationId,
      topicIds: q.topicIds,
      asOfDay,
      windowDays: q.windowDays,
      rates: Object.fromEntries(rates),
    });
    try {
      const overrides = await exactPeopleScores(this.store, { organizationId, asOfDay, windowDays: q.windowDays }, staged.ambiguous, rates);
      return { stage: staged.stage, pairs: staged.pairs, overrides };
    } catch (err) {
      await this.store.dropIntentStage(organizationId, staged.stage).catch(() => undefined);
      throw err;
    }
  }

  /**
   * For the audience builder: how many of the organization's people are surging (score >= 60) on each
   * topic in the window, most first, with the topic's name. `topicIds` limits it to those topics
   * (a search result); without it, every topic anyone read in the window.
   */
  async surgingTopics(
    organizationId: string,
    q: { windowDays: number; topicIds?: readonly string[]; limit: number },
  ): Promise<{ topic_id: string; name: string; surging_people: number }[]> {
    let topicIds = q.topicIds;
    if (!topicIds) {
      const w = windowsOf(this.today(), q.windowDays);
      const activity = await this.store.organizationActivity(organizationId, w.windowStart, this.today());
      topicIds = activity.topics.filter((t) => t.weighted > 0).map((t) => t.topic_id);
    }
    const counts = new Map<string, number>(topicIds.map((id) => [id, 0]));
    for (const s of await this.peopleScores(organizationId, { topicIds, windowDays: q.windowDays, minScore: SURGE_THRESHOLD })) {
      counts.set(s.topic_id, (counts.get(s.topic_id) ?? 0) + 1);
    }
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, q.limit);
    const names = await this.names(
      organizationId,
      ranked.map(([id]) => id),
    );
    return ranked.map(([topic_id, surging_people]) => ({ topic_id, name: names.get(topic_id) ?? topic_id, surging_people }));
  }

  private async names(organizationId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const names = await this.taxonomy.topicNames(organizationId, ids);
    // Topics no longer in the built catalog (kept inactive) are read from the catalog database.
    for (const id of ids) {
      if (names.has(id)) continue;
      const topic = await this.taxonomy.getTopic(organizationId, id);
      if (topic) names.set(id, topic.name);
    }
    return names;
  }
}

function subjectOut(s: Subject): { hem_sha256: string | null; company_domain: string | null } {
  return s.kind === 'person' ? { hem_sha256: s.hem, company_domain: null } : { hem_sha256: null, company_domain: s.domain };
}

/** What makes a stored page current: its text and the version that classified it. */
function fingerprint(p: PageText, version: string): string {
  return `${version}\u0000${p.title}\u0000${p.description}\u0000${p.heading}`;
}
