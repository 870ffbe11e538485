// The audience half of the analytics store: the rows of each audience run (one per person, in the
// order the download gives them), kept per run so that sample and download read one consistent
// snapshot (the run the catalog names as the audience's result) while the next run writes its own.
// Both engines implement it (analytics/audience-duckdb.ts, analytics/audience-clickhouse.ts);
// test/analytics/audience-contract.ts runs the same tests on each.

/** One person of an audience run. */
export interface AudienceMember {
  /** Position in the run, from 0: the download's order. */
  rank: number;
  hem_sha256: string;
  /** Best score among the matched topics; null for an events audience. */
  intent_score: number | null;
  /** Intents: page views on the matched topics in the window; events: matching events in the window. */
  intent_frequency: number;
  /** The matched topic ids, best first (empty for an events audience). */
  topics: string[];
  /** The person's profile fields at the time of the run, JSON text (null: no profile stored). */
  profile: string | null;
}

export interface AudienceRunKey {
  organizationId: string;
  audienceId: number;
  runId: string;
}

export interface AudienceResultsStore {
  /** Appends rows of a run (callers send a run in several calls, in rank order). Durable when it resolves. */
  writeAudienceRows(key: AudienceRunKey, rows: readonly AudienceMember[]): Promise<void>;
  /** Rows of a run with rank > afterRank, by rank, at most `limit`. */
  readAudienceRows(key: AudienceRunKey, page: { afterRank: number; limit: number }): Promise<AudienceMember[]>;
  /** Removes the rows of these runs of the audience, or of every run (`all`: the audience is deleted). */
  deleteAudienceRuns(organizationId: string, audienceId: number, runIds: readonly string[] | 'all'): Promise<void>;
}
