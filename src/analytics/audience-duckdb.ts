// The audience half of the DuckDB store (audiences/results.ts has the contract): one table of run
// rows, read by rank, and the set-wise build of an intents audience.
//
// Build: the scores of everyone on the audience's topics are computed by one aggregate over the
// window's and baseline's page views (resolved through the visitor links, as events are) and kept
// in a table of an in-memory database attached to the instance (`delivr_scratch`: never logged,
// gone with the process). The audience is then one INSERT ... SELECT from those scores joined with
// the profiles: intent rules and field rules as one SQL condition, the profile as JSON, the rank as
// row_number(). Both statements run on a connection of the read pool, not on the writer: a build
// takes seconds and must not hold up ingest's commits, and DuckDB lets two connections append to
// different tables (or to audience_rows, which nothing else updates) without conflict.
import { BIGINT, DOUBLE, DuckDBDataChunk, type DuckDBType, type DuckDBValue, INTEGER, VARCHAR } from '@duckdb/node-api';
import { filterSql, intentRules, isIntent, matchThresholds, ruleFilter } from '../audiences/filter.js';
import {
  type AudienceCounts,
  type AudienceMember,
  type AudienceProfile,
  type AudienceResultsStore,
  type AudienceRunKey,
  type IntentAudienceWrite,
  type IntentScoresSpec,
  SCORE_BANDS,
  type StagedIntentScores,
} from '../audiences/results.js';
import { PROFILE_COLUMNS } from '../identity/store-shared.js';
import { ambiguousScoreSql, rawScoreSql, roundedScoreSql, scoreRangeMs, scoreTermsSql, sqlFloat } from '../intent/score-sql.js';
import { DAY_MS } from '../intent/types.js';
import { Params } from './duckdb-params.js';
import type { DuckDbRunner } from './intent-duckdb.js';
import type { Filter } from './types.js';

/** The in-memory database where builds stage their scores. */
const SCRATCH = 'delivr_scratch';

export const AUDIENCE_DDL: readonly string[] = [
  'CREATE TABLE IF NOT EXISTS audience_rows (organization_id VARCHAR NOT NULL, audience_id BIGINT NOT NULL, run_id VARCHAR NOT NULL, ' +
    '"rank" INTEGER NOT NULL, hem_sha256 VARCHAR NOT NULL, intent_score DOUBLE, intent_frequency BIGINT NOT NULL, ' +
    'topics VARCHAR NOT NULL, profile VARCHAR)',
  // Staged scores of builds under way: memory only, shared by the instance's connections.
  `ATTACH IF NOT EXISTS ':memory:' AS ${SCRATCH}`,
];

/** What the adapter lends this module: reads, a transaction of statements, appending chunks, and its filter conditions. */
export interface DuckDbAudienceRunner extends DuckDbRunner {
  append(table: string, chunks: readonly DuckDBDataChunk[]): Promise<void>;
  /** A field rule's filter (OR of AND-groups) as SQL over the profiles table's columns, values bound through `p`. */
  profileFilterSql(filter: Filter, p: { add(value: DuckDBValue, type: DuckDBType): string }): string;
}

/** Rows per appended chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048;
const TYPES: DuckDBType[] = [VARCHAR, BIGINT, VARCHAR, INTEGER, VARCHAR, DOUBLE, BIGINT, VARCHAR, VARCHAR];
/** The profile columns a run keeps (all but updated_at), in table order. */
const PROFILE_FIELDS = PROFILE_COLUMNS.filter((c) => c.name !== 'updated_at');

const num = (v: DuckDBValue | undefined): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A stage's table; the name is ours (stageName), checked again before it is spliced. */
function stageTable(stage: string): string {
  if (!/^stage_[0-9]+_[0-9a-f]+$/.test(stage)) throw new Error(`not a stage name: ${stage}`);
  return `${SCRATCH}.${stage}`;
}

export const stageName = (): string => `stage_${Date.now()}_${Math.floor(Math.random() * 2 ** 48).toString(16)}`;

export class DuckDbAudiences implements AudienceResultsStore {
  constructor(private readonly db: DuckDbAudienceRunner) {}

  async writeAudienceRows(key: AudienceRunKey, rows: readonly AudienceMember[]): Promise<void> {
    // The appender, not INSERT statements: a run of 100,000 people is written in well under a second.
    const chunks: DuckDBDataChunk[] = [];
    const audienceId = BigInt(key.audienceId);
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rows.length - start);
      const data: DuckDBValue[][] = TYPES.map(() => new Array<DuckDBValue>(count));
      for (let i = 0; i < count; i++) {
        const r = rows[start + i] as AudienceMember;
        const cells: DuckDBValue[] = [
          key.organizationId,
          audienceId,
          key.runId,
          r.rank,
          r.hem_sha256,
          r.intent_score,
          BigInt(r.intent_frequency),
          JSON.stringify(r.topics),
          r.profile === null ? null : JSON.stringify(r.profile),
        ];
        cells.forEach((v, k) => {
          (data[k] as DuckDBValue[])[i] = v;
        });
      }
      const chunk = DuckDBDataChunk.create(TYPES, count);
      chunk.setColumns(data);
      chunks.push(chunk);
    }
    if (chunks.length > 0) await this.db.append('audience_rows', chunks);
  }

  async readAudienceRows(key: AudienceRunKey, page: { afterRank: number; limit: number }): Promise<AudienceMember[]> {
    // Ranks of a run have no gaps, so a page is a closed range of them: DuckDB's per-row-group
    // min/max on rank then skips the rest of the run instead of sorting it for every page.
    const rows = await this.db.read(
      'SELECT "rank", hem_sha256, intent_score, intent_frequency, topics, profile FROM audience_rows ' +
        'WHERE organization_id = $1 AND audience_id = $2 AND run_id = $3 AND "rank" > $4 AND "rank" <= $4 + $5 ORDER BY "rank" LIMIT $5',
      [key.organizationId, BigInt(key.audienceId), key.runId, page.afterRank, BigInt(page.limit)],
      [VARCHAR, BIGINT, VARCHAR, INTEGER, BIGINT],
    );
    return rows.map((r) => ({
      rank: num(r[0]),
      hem_sha256: String(r[1]),
      intent_score: r[2] === null ? null : num(r[2]),
      intent_frequency: num(r[3]),
      topics: JSON.parse(String(r[4])) as string[],
      profile: r[5] === null ? null : (JSON.parse(String(r[5])) as AudienceProfile),
    }));
  }

  async deleteAudienceRuns(organizationId: string, audienceId: number, runIds: readonly string[] | 'all'): Promise<void> {
    if (runIds !== 'all' && runIds.length === 0) return;
    const values: DuckDBValue[] = [organizationId, BigInt(audienceId)];
    const types: DuckDBType[] = [VARCHAR, BIGINT];
    let sql = 'DELETE FROM audience_rows WHERE organization_id = $1 AND audience_id = $2';
    if (runIds !== 'all') {
      const placeholders: string[] = [];
      for (const id of runIds) {
        values.push(id);
        types.push(VARCHAR);
        placeholders.push(`$${values.length}`);
      }
      sql += ` AND run_id IN (${placeholders.join(', ')})`;
    }
    await this.db.transaction([{ sql, values, types }]);
  }

  async stageIntentScores(spec: IntentScoresSpec): Promise<StagedIntentScores> {
    const stage = stageName();
    const table = stageTable(stage);
    const p = new Params();
    const org = p.add(spec.organizationId, VARCHAR);
    const range = scoreRangeMs(spec.asOfDay, spec.windowDays);
    const topics = spec.topicIds.map((t) => p.add(t, VARCHAR)).join(', ');
    const terms = scoreTermsSql({ asOfDay: spec.asOfDay, windowDays: spec.windowDays, day: 'r.day', relevance: 't.relevance' });
    const rateCases = Object.entries(spec.rates)
      .filter(([t]) => spec.topicIds.includes(t))
      .map(([t, rate]) => `WHEN ${p.add(t, VARCHAR)} THEN ${sqlFloat(rate)}`);
    const rate = rateCases.length > 0 ? `CASE a.topic_id ${rateCases.join(' ')} ELSE ${sqlFloat(0)} END` : sqlFloat(0);
    const raw = rawScoreSql({
      asOfDay: spec.asOfDay,
      windowDays: spec.windowDays,
      observedPercent: 'a.observed',
      baselinePercent: 'a.baseline',
      firstDay: 'f.first_day',
      rate,
    });
    // Page views resolved to people once (the visitor's current link, or the event's own HEM without
    // a visitor id); a person's first day is over all their page views, as firstDays reads it.
    const sql =
      `CREATE TABLE ${table} AS WITH r AS MATERIALIZED (` +
      `SELECT CASE WHEN e.visitor_id IS NULL THEN e.hem_sha256 ELSE l.hem_sha256 END AS hem, e.ts_millis // ${DAY_MS} AS day, e.url ` +
      `FROM events e LEFT JOIN visitor_links l ON l.organization_id = ${org} AND l.visitor_id = e.visitor_id ` +
      `WHERE e.organization_id = ${org} AND e.event_type = 'page_view' AND NOT e.is_bot AND e.url IS NOT NULL ` +
      `AND e.ts_millis BETWEEN ${p.add(BigInt(range.fromMs), BIGINT)} AND ${p.add(BigInt(range.toMs), BIGINT)} ` +
      'AND (CASE WHEN e.visitor_id IS NULL THEN e.hem_sha256 ELSE l.hem_sha256 END) IS NOT NULL), ' +
      'f AS (SELECT hem, min(day) AS first_day FROM r GROUP BY hem), ' +
      `a AS (SELECT r.hem, t.topic_id, sum(CASE WHEN ${terms.inWindow} THEN 1 ELSE 0 END) AS views, ` +
      `sum(CASE WHEN ${terms.inWindow} THEN 0 ELSE ${terms.baselineTerm} END) AS baseline, ` +
      `sum(CASE WHEN ${terms.inWindow} THEN ${terms.observedTerm} ELSE ${sqlFloat(0)} END) AS observed ` +
      `FROM r JOIN intent_page_topics t ON t.organization_id = ${org} AND t.url = r.url AND t.topic_id IN (${topics}) ` +
      'GROUP BY r.hem, t.topic_id), ' +
      `s AS (SELECT a.hem, a.topic_id, a.views, ${raw} AS raw FROM a JOIN f ON f.hem = a.hem WHERE a.views > 0) ` +
      `SELECT hem, topic_id, CAST(views AS BIGINT) AS views, CAST(${roundedScoreSql('raw')} AS INTEGER) AS score, ` +
      `${ambiguousScoreSql('raw', 'views')} AS ambiguous FROM s`;
    if (spec.topicIds.length === 0) {
      await this.db.read(`CREATE TABLE ${table} (hem VARCHAR, topic_id VARCHAR, views BIGINT, score INTEGER, ambiguous BOOLEAN)`, [], []);
    } else {
      await this.db.read(sql, p.values, p.types);
    }
    const [count] = await this.db.read(`SELECT count(*) FROM ${table}`, [], []);
    const ambiguous = await this.db.read(
      `SELECT hem, topic_id, score FROM ${table}${spec.listAll ? '' : ' WHERE ambiguous'} ORDER BY hem, topic_id`,
      [],
      [],
    );
    return {
      stage,
      pairs: num(count?.[0]),
      ambiguous: ambiguous.map((r) => ({ hem_sha256: String(r[0]), topic_id: String(r[1]), intent_score: num(r[2]) })),
    };
  }

  async writeIntentAudience(w: IntentAudienceWrite): Promise<AudienceCounts> {
    const p = new Params();
    const org = p.add(w.organizationId, VARCHAR);
    const overrides = w.overrides.map(
      (o) =>
        `WHEN hem = ${p.add(o.hem_sha256, VARCHAR)} AND topic_id = ${p.add(o.topic_id, VARCHAR)} THEN ${p.add(o.intent_score, INTEGER)}`,
    );
    const score = overrides.length > 0 ? `CASE ${overrides.join(' ')} ELSE score END` : 'score';
    const list = (ids: readonly string[]) => ids.map((t) => p.add(t, VARCHAR)).join(', ');
    const matched = matchThresholds(w.filter)
      .map((m) => `(topic_id IN (${list(m.topicIds)}) AND score >= ${m.minScore})`)
      .join(' OR ');
    const rules = intentRules(w.filter);
    const ruleColumns = rules.map((r, i) => `bool_or(topic_id IN (${list(r.topic_ids)}) AND score >= ${r.min_score}) AS r${i}`);
    const condition = filterSql(w.filter, (r) =>
      isIntent(r) ? `r${rules.indexOf(r)}` : `(${this.db.profileFilterSql(ruleFilter(r), p)})`,
    );
    const perPerson =
      `WITH m AS (SELECT hem, topic_id, views, score, (${matched || 'false'}) AS matched FROM ` +
      `(SELECT hem, topic_id, views, ${score} AS score FROM ${stageTable(w.stage)})), ` +
      `p AS (SELECT hem, ${[...ruleColumns, ''].join(', ')}bool_or(matched) AS any_m, ` +
      'max(score) FILTER (WHERE matched) AS best_m, sum(views) FILTER (WHERE matched) AS views_m, max(score) AS best_a, sum(views) AS views_a, ' +
      `list({'s': -score, 'v': -views, 't': topic_id, 'm': matched}) AS l FROM m GROUP BY hem) `;
    const chosen = `FROM p LEFT JOIN profiles pr ON pr.organization_id = ${org} AND pr.hem_sha256 = p.hem WHERE ${condition}`;
    const bands = SCORE_BANDS.map((b) => `count(*) FILTER (WHERE score BETWEEN ${b.min} AND ${b.max})`).join(', ');
    let rows: DuckDBValue[][];
    if (w.target === null) {
      rows = await this.db.read(
        `${perPerson}SELECT count(*), count(pr.hem_sha256), ${bands} FROM ` +
          `(SELECT CASE WHEN any_m THEN best_m ELSE best_a END AS score, pr.hem_sha256 ${chosen}) pr`,
        p.values,
        p.types,
      );
    } else {
      // The profile as JSON of its known fields (to_json escapes as JSON requires).
      const profile = `CASE WHEN pr.hem_sha256 IS NULL THEN NULL ELSE '{' || concat_ws(',', ${PROFILE_FIELDS.map(
        (c) => `CASE WHEN pr.${quote(c.name)} IS NOT NULL THEN '${JSON.stringify(c.name)}:' || to_json(pr.${quote(c.name)}) END`,
      ).join(', ')}) || '}' END`;
      const members =
        'SELECT p.hem, CASE WHEN any_m THEN best_m ELSE best_a END AS score, CASE WHEN any_m THEN views_m ELSE views_a END AS views, ' +
        `list_transform(list_sort(CASE WHEN any_m THEN list_filter(l, x -> x.m) ELSE l END), x -> x.t) AS topics, ${profile} AS profile ${chosen}`;
      await this.db.read(
        `INSERT INTO audience_rows ${perPerson}SELECT ${org}, ${p.add(BigInt(w.target.audienceId), BIGINT)}, ${p.add(w.target.runId, VARCHAR)}, ` +
          'CAST(row_number() OVER (ORDER BY score DESC, views DESC, hem) - 1 AS INTEGER) AS "rank", hem, score, views, ' +
          `CAST(to_json(topics) AS VARCHAR), profile FROM (${members})`,
        p.values,
        p.types,
      );
      rows = await this.db.read(
        `SELECT count(*), count(profile), ${bands.replaceAll('score BETWEEN', 'intent_score BETWEEN')} FROM audience_rows ` +
          'WHERE organization_id = $1 AND audience_id = $2 AND run_id = $3',
        [w.organizationId, BigInt(w.target.audienceId), w.target.runId],
        [VARCHAR, BIGINT, VARCHAR],
      );
    }
    const r = rows[0] ?? [];
    const bucketCounts: Record<string, number> = {};
    SCORE_BANDS.forEach((b, i) => {
      bucketCounts[b.key] = num(r[2 + i]);
    });
    return { recordCount: num(r[0]), distinctProfileCount: num(r[1]), bucketCounts };
  }

  async dropIntentStage(_organizationId: string, stage: string): Promise<void> {
    await this.db.read(`DROP TABLE IF EXISTS ${stageTable(stage)}`, [], []);
  }
}
