// The audience half of the analytics store: the rows of each audience run (one per person, in the
// order the download gives them), kept per run so that sample and download read one consistent
// snapshot (the run the catalog names as the audience's result) while the next run writes its own;
// and the set-wise build of an intents audience inside the engine (scores staged for everyone, then
// filtered, ranked and written with one INSERT ... SELECT, so no person's row passes through
// JavaScript). Both engines implement it (analytics/audience-duckdb.ts, analytics/audience-clickhouse.ts);
// test/analytics/audience-contract.ts runs the same tests on each.
import type { FilterGroup } from './filter.js';

/** A person's profile fields as a run stored them: absent and null both mean unknown. */
export type AudienceProfile = Record<string, string | number | null>;

/** One person of an audience run. */
export interface AudienceMember {
  /** Position in the run, from 0, without gaps: the download's order. */
  rank: number;
  hem_sha256: string;
  /** Best score among the matched topics; null for an events audience. */
  intent_score: number | null;
  /** Intents: page views on the matched topics in the window; events: matching events in the window. */
  intent_frequency: number;
  /** The matched topic ids, best first (empty for an events audience). */
  topics: string[];
  /** The person's profile fields at the time of the run (null: no profile stored). */
  profile: AudienceProfile | null;
}

export interface AudienceRunKey {
  organizationId: string;
  audienceId: number;
  runId: string;
}

/** Intent-score bands of bucket_counts (docs/audiences.md): bounds inclusive. */
export const SCORE_BANDS: readonly { key: string; min: number; max: number }[] = [
  { key: 'low', min: 0, max: 39 },
  { key: 'medium', min: 40, max: 59 },
  { key: 'high', min: 60, max: 79 },
  { key: 'very_high', min: 80, max: 100 },
];

/** What an audience run holds, as the audience object shows it. */
export interface AudienceCounts {
  recordCount: number;
  /** Of those, the people with a stored profile. */
  distinctProfileCount: number;
  /** People per SCORE_BANDS key (intents audiences; {} for events audiences). */
  bucketCounts: Record<string, number>;
}

/** Whose scores an intents audience stages: every person of the organization with page views on the topics in the window. */
export interface IntentScoresSpec {
  organizationId: string;
  topicIds: readonly string[];
  /** Last day of the window (days since 1970-01-01 UTC) and its length (1-14). */
  asOfDay: number;
  windowDays: number;
  /** The organization's weighted views per reader per day by topic (intent/signals.ts organizationRates); absent: 0. */
  rates: Readonly<Record<string, number>>;
  /** List every pair in `ambiguous`, not only the uncertain ones (tests compare the engine's scores with score.ts's). */
  listAll?: boolean;
}

export interface StagedIntentScores {
  /** Names the staged scores for writeIntentAudience and dropIntentStage. */
  stage: string;
  /** Person-topic pairs scored. */
  pairs: number;
  /**
   * The pairs whose score the engine could not round with certainty (intent/score-sql.ts): the
   * caller scores them with score.ts and passes the scores to writeIntentAudience as overrides.
   */
  ambiguous: { hem_sha256: string; topic_id: string /** The engine's rounding. */; intent_score: number }[];
}

export interface IntentAudienceWrite {
  organizationId: string;
  stage: string;
  /** A validated filter (audiences/filter.ts): its intent rules over the staged scores, its field rules over the profiles. */
  filter: FilterGroup;
  /** score.ts's scores for the stage's ambiguous pairs. */
  overrides: readonly { hem_sha256: string; topic_id: string; intent_score: number }[];
  /** The run the rows are written to; null: counted only (a preview stores nothing). */
  target: AudienceRunKey | null;
}

export interface AudienceResultsStore {
  /** Appends rows of a run (callers send a run in several calls, in rank order). Durable when it resolves. */
  writeAudienceRows(key: AudienceRunKey, rows: readonly AudienceMember[]): Promise<void>;
  /** Rows of a run with rank > afterRank, by rank, at most `limit`. */
  readAudienceRows(key: AudienceRunKey, page: { afterRank: number; limit: number }): Promise<AudienceMember[]>;
  /** Removes the rows of these runs of the audience, or of every run (`all`: the audience is deleted). */
  deleteAudienceRuns(organizationId: string, audienceId: number, runIds: readonly string[] | 'all'): Promise<void>;
  /** Removes these people's rows from a run (people erased while it was computed); done when it resolves. */
  deleteAudienceMembers(key: AudienceRunKey, hems: readonly string[]): Promise<void>;
  /**
   * Scores every person of the organization on the topics in the window, inside the engine, and
   * keeps the scores (person, topic, score, page views) until dropIntentStage: score.ts's formula,
   * with the pairs it could not round with certainty listed.
   */
  stageIntentScores(spec: IntentScoresSpec): Promise<StagedIntentScores>;
  /**
   * The audience from staged scores: the people the filter selects (intent rules on their scores,
   * field rules on their profiles), each with the best matched score, the page views on the matched
   * topics, the matched topics best first and their profile, ranked best first (score, page views,
   * HEM); written as the target run in one statement, or only counted.
   */
  writeIntentAudience(w: IntentAudienceWrite): Promise<AudienceCounts>;
  /** Forgets staged scores (idempotent). */
  dropIntentStage(organizationId: string, stage: string): Promise<void>;
}
