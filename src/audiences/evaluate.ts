// Answers an audience's question from the analytics store, the same way on DuckDB and ClickHouse
// (everything engine-specific is behind AnalyticsStore):
//  - intents: the people with page views on the filter's topics in the window, scored by
//    IntentService.peopleScores (one set of queries for everyone); their profiles are read and the
//    filter is walked per person: an INTENT rule holds when one of its topics scores at least its
//    min_score, a field rule when the profile matches it (SQL semantics: a missing value matches
//    nothing but not_null's absence). Intent scores are the organization's: people are too.
//  - events: each field rule is one count per person of the project's non-bot events in the window
//    that match it (the Events API's filter, resolved), and groups combine the sets (AND intersects,
//    OR unites): "visited /pricing AND submitted a form" may be two different events.
// The result is one row per person, best first, with the counts and score bands the audience shows.
import { matchesFilter } from '../analytics/filter-eval.js';
import type { AnalyticsStore, Filter } from '../analytics/types.js';
import type { Profile } from '../identity/fields.js';
import type { PersonTopicScore } from '../intent/service.js';
import {
  type FieldRule,
  type FilterGroup,
  fieldRules,
  filterTopics,
  holds,
  type IntentRule,
  isIntent,
  ruleFilter,
  selectSet,
} from './filter.js';
import type { AudienceMember } from './results.js';
import type { AudienceType } from './store.js';

const DAY_MS = 86_400_000;
/** HEMs per profile read. */
const PROFILE_BATCH = 1000;

/** Intent-score bands of bucket_counts (docs/audiences.md): lower bound inclusive. */
export const SCORE_BANDS: readonly { key: string; min: number; max: number }[] = [
  { key: 'low', min: 0, max: 39 },
  { key: 'medium', min: 40, max: 59 },
  { key: 'high', min: 60, max: 79 },
  { key: 'very_high', min: 80, max: 100 },
];

export interface AudienceQuestion {
  organizationId: string;
  projectId: string;
  type: AudienceType;
  filter: FilterGroup;
  windowDays: number;
}

export interface Evaluation {
  members: AudienceMember[];
  recordCount: number;
  distinctProfileCount: number;
  bucketCounts: Record<string, number>;
}

export interface EvaluatorDeps {
  analytics: Pick<AnalyticsStore, 'getProfiles' | 'countByValue'>;
  intent: {
    peopleScores(
      organizationId: string,
      q: { topicIds: readonly string[]; windowDays: number; minScore: number },
    ): Promise<PersonTopicScore[]>;
  };
  pixelIdsEver(projectId: string): Promise<string[]>;
  now: () => number;
}

export class AudienceEvaluator {
  constructor(private readonly d: EvaluatorDeps) {}

  async evaluate(q: AudienceQuestion): Promise<Evaluation> {
    const members = q.type === 'intents' ? await this.intents(q) : await this.events(q);
    return summarise(members, q.type);
  }

  private async profiles(organizationId: string, hems: readonly string[]): Promise<Map<string, Profile>> {
    const out = new Map<string, Profile>();
    for (let start = 0; start < hems.length; start += PROFILE_BATCH) {
      for (const p of await this.d.analytics.getProfiles(organizationId, hems.slice(start, start + PROFILE_BATCH)))
        out.set(p.hem_sha256, p);
    }
    return out;
  }

  private async intents(q: AudienceQuestion): Promise<AudienceMember[]> {
    const scores = await this.d.intent.peopleScores(q.organizationId, {
      topicIds: filterTopics(q.filter),
      windowDays: q.windowDays,
      minScore: 0,
    });
    const byPerson = new Map<string, Map<string, PersonTopicScore>>();
    for (const s of scores) {
      const topics = byPerson.get(s.hem_sha256) ?? new Map<string, PersonTopicScore>();
      byPerson.set(s.hem_sha256, topics);
      topics.set(s.topic_id, s);
    }
    const needProfiles = fieldRules(q.filter).length > 0;
    // Groups have no negation, so a person the filter rejects even with every field rule holding is
    // out whatever their profile says: their profile is not read.
    const intentHolds = (hem: string) => (r: IntentRule | FieldRule) => {
      if (!isIntent(r)) return true;
      const topics = byPerson.get(hem) as Map<string, PersonTopicScore>;
      return r.topic_ids.some((t) => (topics.get(t)?.intent_score ?? -1) >= r.min_score);
    };
    const candidates = [...byPerson.keys()].filter((hem) => holds(q.filter, intentHolds(hem)));
    const profiles = needProfiles ? await this.profiles(q.organizationId, candidates) : null;
    const fieldFilters = new Map<FieldRule, Filter>(fieldRules(q.filter).map((r) => [r, ruleFilter(r)]));
    const members: Omit<AudienceMember, 'rank'>[] = [];
    for (const hem of candidates) {
      const topics = byPerson.get(hem) as Map<string, PersonTopicScore>;
      const profile = profiles?.get(hem) ?? null;
      const matched = new Set<string>();
      const ok = holds(q.filter, (r: IntentRule | FieldRule) => {
        if (isIntent(r)) {
          let any = false;
          for (const t of r.topic_ids) {
            const s = topics.get(t);
            if (s && s.intent_score >= r.min_score) {
              matched.add(t);
              any = true;
            }
          }
          return any;
        }
        return matchesFilter(profile ?? {}, fieldFilters.get(r) as Filter);
      });
      if (!ok) continue;
      // Someone in through a field rule alone is described by all of their audience topics.
      const counted = [...(matched.size > 0 ? matched : topics.keys())].map((t) => topics.get(t) as PersonTopicScore);
      counted.sort((a, b) => b.intent_score - a.intent_score || b.intent_frequency - a.intent_frequency || cmp(a.topic_id, b.topic_id));
      members.push({
        hem_sha256: hem,
        intent_score: counted[0]?.intent_score ?? 0,
        intent_frequency: counted.reduce((n, s) => n + s.intent_frequency, 0),
        topics: counted.map((s) => s.topic_id),
        profile: null,
      });
    }
    members.sort(
      (a, b) => (b.intent_score ?? 0) - (a.intent_score ?? 0) || b.intent_frequency - a.intent_frequency || cmp(a.hem_sha256, b.hem_sha256),
    );
    return this.withProfiles(q.organizationId, members, profiles);
  }

  private async events(q: AudienceQuestion): Promise<AudienceMember[]> {
    const pixelIds = await this.d.pixelIdsEver(q.projectId);
    if (pixelIds.length === 0) return [];
    const endMs = this.d.now();
    const startMs = endMs - q.windowDays * DAY_MS;
    const counts = new Map<FieldRule, Map<string, number>>();
    for (const r of fieldRules(q.filter)) {
      // Bots never make an audience: every AND-group of the rule also says is_bot = false.
      const filter = ruleFilter(r).map((group) => [...group, { field: 'is_bot' as const, op: 'eq' as const, value: 'false' }]);
      const values = await this.d.analytics.countByValue(
        { organizationId: q.organizationId, pixelIds, startMs, endMs, filter },
        'hem_sha256',
      );
      const perPerson = new Map<string, number>();
      for (const v of values) if (typeof v.value === 'string' && v.value !== '') perPerson.set(v.value, v.count);
      counts.set(r, perPerson);
    }
    const chosen = selectSet(q.filter, (r) => {
      const m = counts.get(r as FieldRule);
      return new Set(m ? m.keys() : []);
    });
    const members = [...chosen].map((hem) => ({
      hem_sha256: hem,
      intent_score: null,
      intent_frequency: [...counts.values()].reduce((n, m) => n + (m.get(hem) ?? 0), 0),
      topics: [],
      profile: null,
    }));
    members.sort((a, b) => b.intent_frequency - a.intent_frequency || cmp(a.hem_sha256, b.hem_sha256));
    return this.withProfiles(q.organizationId, members, null);
  }

  /** Ranks the members and attaches their profiles (read now unless the filter needed them already). */
  private async withProfiles(
    organizationId: string,
    members: Omit<AudienceMember, 'rank'>[],
    known: Map<string, Profile> | null,
  ): Promise<AudienceMember[]> {
    const profiles =
      known ??
      (await this.profiles(
        organizationId,
        members.map((m) => m.hem_sha256),
      ));
    return members.map((m, rank) => {
      const p = profiles.get(m.hem_sha256);
      return { ...m, rank, profile: p ? JSON.stringify(p) : null };
    });
  }
}

function summarise(members: AudienceMember[], type: AudienceType): Evaluation {
  const bucketCounts: Record<string, number> = {};
  if (type === 'intents') {
    for (const b of SCORE_BANDS) bucketCounts[b.key] = 0;
    for (const m of members) {
      const band = SCORE_BANDS.find((b) => (m.intent_score ?? 0) >= b.min && (m.intent_score ?? 0) <= b.max);
      if (band) bucketCounts[band.key] = (bucketCounts[band.key] ?? 0) + 1;
    }
  }
  return {
    members,
    recordCount: members.length,
    distinctProfileCount: members.filter((m) => m.profile !== null).length,
    bucketCounts,
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
