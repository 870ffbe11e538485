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
import { HALF_LIFE_DAYS } from '../intent/score.js';
import { ambiguousScoreSql, rawScoreSql, roundedScoreSql, scoreRangeMs, scoreTermsSql, sqlFloat } from '../intent/score-sql.js';
import { windowsOf } from '../intent/signals.js';
import { DAY_MS } from '../intent/types.js';
import { Params } from './duckdb-params.js';
import { VISITOR_KEY } from './duckdb-visitor-key.js';
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
/** Those an intents run stores as JSON: the HEM is the row's (readAudienceRows puts it back, first as PROFILE_COLUMNS has it). */
const STORED_PROFILE_FIELDS = PROFILE_FIELDS.filter((c) => c.name !== 'hem_sha256');

/**
 * The column of the profiles table holding each profile as an intents run stores it (the JSON of its
 * known fields but the HEM: profileSnapshotSql), kept by every write of the row (duckdb.ts), so a
 * build copies it instead of building 680,000 of them and carrying every field through its join.
 */
export const PROFILE_SNAPSHOT = 'audience_profile';

/**
 * A profile as JSON of its known fields (to_json escapes as JSON requires), but for its HEM: the
 * row's own, put back first when the row is read (a third of the JSON less to build and store).
 * `field` gives the SQL of a field's value (a column, or the value a merge writes).
 */
export const profileSnapshotSql = (field: (name: string) => string): string =>
  `'{' || concat_ws(',', ${STORED_PROFILE_FIELDS.map(
    (c) => `CASE WHEN ${field(c.name)} IS NOT NULL THEN '${JSON.stringify(c.name)}:' || to_json(${field(c.name)}) END`,
  ).join(', ')}) || '}'`;

const num = (v: DuckDBValue | undefined): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

/** A stage's table; the name is ours (stageName), checked again before it is spliced. */
function stageTable(stage: string): string {
  if (!/^stage_[0-9]+_[0-9a-f]+$/.test(stage)) throw new Error(`not a stage name: ${stage}`);
  return `${SCRATCH}.${stage}`;
}

/** The organization's page views in `range` a score reads (the filter both staging forms share). */
function pageViewsWhere(p: Params, org: string, range: { fromMs: number; toMs: number }): string {
  return (
    `e.organization_id = ${org} AND e.event_type = 'page_view' AND NOT e.is_bot AND e.url IS NOT NULL ` +
    `AND e.ts_millis BETWEEN ${p.add(BigInt(range.fromMs), BIGINT)} AND ${p.add(BigInt(range.toMs), BIGINT)}`
  );
}

/** A page view without a visitor key whose person may be known: by the visitor id's text, or its own HEM. */
const UNKEYED = `e.${VISITOR_KEY} IS NULL AND (e.visitor_id IS NOT NULL OR e.hem_sha256 IS NOT NULL)`;

/** A page view's person: the visitor's current link, or the event's own HEM without a visitor id. */
const personSql = (own: string, visitor: string): string => `CASE WHEN ${visitor} IS NULL THEN ${own} ELSE l.hem_sha256 END`;

/** The visitor links of the organization, as `l`, joined on `visitor` (a column holding a visitor id or null). */
const linksJoin = (org: string, visitor: string): string =>
  `LEFT JOIN visitor_links l ON l.organization_id = ${org} AND l.visitor_id = ${visitor}`;

/**
 * The organization's page views in `range` resolved to people (hem, day, url), for the per-pair
 * form: those with a visitor key joined with the links on it, the rest (when `byText`: there are
 * any, unkeyedViews) by the id's text or their own HEM.
 */
function resolvedViewsSql(p: Params, org: string, range: { fromMs: number; toMs: number }, byText: boolean): string {
  const where = pageViewsWhere(p, org, range);
  const hem = personSql('e.hem_sha256', 'e.visitor_id');
  const keyed =
    `SELECT l.hem_sha256 AS hem, e.ts_millis // ${DAY_MS} AS day, e.url FROM events e JOIN visitor_links l ` +
    `ON l.organization_id = ${org} AND l.${VISITOR_KEY} = e.${VISITOR_KEY} WHERE ${where} AND e.${VISITOR_KEY} IS NOT NULL`;
  const text =
    `SELECT ${hem} AS hem, e.ts_millis // ${DAY_MS} AS day, e.url FROM events e ${linksJoin(org, 'e.visitor_id')} ` +
    `WHERE ${where} AND e.${VISITOR_KEY} IS NULL AND (${hem}) IS NOT NULL`;
  return byText ? `${keyed} UNION ALL ${text}` : keyed;
}

export const stageName = (): string => `stage_${Date.now()}_${Math.floor(Math.random() * 2 ** 48).toString(16)}`;

/**
 * Most topics an audience may name for its scores to be staged one row per person (a column per
 * topic); more, and they are staged one row per person and topic.
 */
export const WIDE_TOPICS = 8;

/**
 * A wide stage sums a person's views in the window and relevance in the baseline as one number,
 * `views + PACKED_VIEWS * relevance`: one aggregate instead of two per topic in the grouping of every
 * page view (at 10M page views, one DuckDB thread, the stage took 3.37-3.46 s against 3.56-3.72 s
 * alternating, and bench/audience's build 5.31 s against 5.60). A power of two: unpacking divides exactly.
 */
export const PACKED_VIEWS = 2 ** 24;

export class DuckDbAudiences implements AudienceResultsStore {
  /** The topics of each wide stage, in column order (stages live in this process's memory, so does this). */
  private readonly wide = new Map<string, readonly string[]>();

  /**
   * @param wideTopics WIDE_TOPICS; tests pass 0 to build every audience the per-pair way.
   * @param packing PACKED_VIEWS; tests pass ones the workload overflows, to make the wide stage fall back.
   */
  constructor(
    private readonly db: DuckDbAudienceRunner,
    private readonly wideTopics: () => number = () => WIDE_TOPICS,
    private readonly packing: () => number = () => PACKED_VIEWS,
  ) {}

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
    // A run is written without gaps in its ranks, so a page is a closed range of them: DuckDB's
    // per-row-group min/max on rank then skips the rest of the run instead of sorting it for every
    // page. An erased person leaves a gap (erasePerson): a short page is read again without the
    // upper bound, which is also what the last page costs.
    const read = (bounded: boolean) =>
      this.db.read(
        'SELECT "rank", hem_sha256, intent_score, intent_frequency, topics, profile FROM audience_rows ' +
          `WHERE organization_id = $1 AND audience_id = $2 AND run_id = $3 AND "rank" > $4${bounded ? ' AND "rank" <= $4 + $5' : ''} ` +
          'ORDER BY "rank" LIMIT $5',
        [key.organizationId, BigInt(key.audienceId), key.runId, page.afterRank, BigInt(page.limit)],
        [VARCHAR, BIGINT, VARCHAR, INTEGER, BIGINT],
      );
    let rows = await read(true);
    if (rows.length < page.limit) rows = await read(false);
    return rows.map((r) => ({
      rank: num(r[0]),
      hem_sha256: String(r[1]),
      intent_score: r[2] === null ? null : num(r[2]),
      intent_frequency: num(r[3]),
      topics: JSON.parse(String(r[4])) as string[],
      // Runs written before the HEM was left out of the JSON have it there too: the same value.
      profile: r[5] === null ? null : ({ hem_sha256: String(r[1]), ...JSON.parse(String(r[5])) } as AudienceProfile),
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

  async deleteAudienceMembers(key: AudienceRunKey, hems: readonly string[]): Promise<void> {
    if (hems.length === 0) return;
    const p = new Params();
    const sql =
      `DELETE FROM audience_rows WHERE organization_id = ${p.add(key.organizationId, VARCHAR)} AND audience_id = ${p.add(BigInt(key.audienceId), BIGINT)} ` +
      `AND run_id = ${p.add(key.runId, VARCHAR)} AND hem_sha256 IN (${hems.map((h) => p.add(h, VARCHAR)).join(', ')})`;
    // On the writer, in line with erasePerson's delete of the same rows (two deletes of one row conflict).
    await this.db.transaction([{ sql, values: p.values, types: p.types }]);
  }

  async stageIntentScores(spec: IntentScoresSpec): Promise<StagedIntentScores> {
    // A column per topic needs distinct topics (filterTopics gives them so).
    if (spec.topicIds.length > 0 && spec.topicIds.length <= this.wideTopics() && new Set(spec.topicIds).size === spec.topicIds.length) {
      const wide = await this.stageWide(spec);
      if (wide) return wide;
    }
    const stage = stageName();
    const table = stageTable(stage);
    const p = new Params();
    const org = p.add(spec.organizationId, VARCHAR);
    const range = scoreRangeMs(spec.asOfDay, spec.windowDays);
    const byText = spec.topicIds.length > 0 && (await this.unkeyedViews(spec.organizationId, range));
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
      `${resolvedViewsSql(p, org, range, byText)}), ` +
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
    const wide = this.wide.get(w.stage);
    if (wide) return this.writeWide(w, wide);
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
    return this.writePeople(w, p, org, perPerson, condition);
  }

  /**
   * The audience from per-person rows `p` (hem, any_m, best_m, views_m, best_a, views_a and the list
   * `l` of {s: -score, v: -views, t: topic, m: matched}) that the CTEs `perPerson` define. A member's
   * topics are written as JSON: its matched topics (or all, when none matched) by score, then page
   * views (both descending), then topic id; `topicsJson` may give that text another way.
   */
  private async writePeople(
    w: IntentAudienceWrite,
    p: Params,
    org: string,
    perPerson: string,
    condition: string,
    topicsJson: () => string = () =>
      'CAST(to_json(list_transform(list_sort(CASE WHEN any_m THEN list_filter(l, x -> x.m) ELSE l END), x -> x.t)) AS VARCHAR)',
  ): Promise<AudienceCounts> {
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
      // The profile's snapshot as its row keeps it (PROFILE_SNAPSHOT): the join then carries one
      // column of the profile besides those the filter reads.
      const profile = `pr.${PROFILE_SNAPSHOT}`;
      const members =
        'SELECT p.hem, CASE WHEN any_m THEN best_m ELSE best_a END AS score, CASE WHEN any_m THEN views_m ELSE views_a END AS views, ' +
        `${topicsJson()} AS topics, ${profile} AS profile ${chosen}`;
      await this.db.read(
        `INSERT INTO audience_rows ${perPerson}SELECT ${org}, ${p.add(BigInt(w.target.audienceId), BIGINT)}, ${p.add(w.target.runId, VARCHAR)}, ` +
          'CAST(row_number() OVER (ORDER BY score DESC, views DESC, hem) - 1 AS INTEGER) AS "rank", hem, score, views, ' +
          `topics, profile FROM (${members})`,
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
    this.wide.delete(stage);
  }

  /**
   * Scores staged one row per person, a column per topic (a few topics: WIDE_TOPICS). One grouping
   * by person over the page views (per visitor first, below) gives each person's first day and every
   * topic's sums at once (the pages pivoted first, a column of relevance per topic), where the per-pair form groups
   * twice (by person, and by person and topic) and joins the two; and writeWide then needs no
   * grouping at all. Same terms, same formula: only the order of the floating-point sums differs,
   * which the rounding margin covers (score-sql.ts). Null, with nothing staged, when a person's
   * packed sums may not split exactly (PACKED_VIEWS): the caller stages the per-pair way.
   */
  private async stageWide(spec: IntentScoresSpec): Promise<StagedIntentScores | null> {
    const pack = this.packing();
    const stage = stageName();
    const table = stageTable(stage);
    const topicIds = spec.topicIds;
    const p = new Params();
    const org = p.add(spec.organizationId, VARCHAR);
    const range = scoreRangeMs(spec.asOfDay, spec.windowDays);
    const ids = topicIds.map((t) => p.add(t, VARCHAR));
    const terms = topicIds.map((_, i) =>
      scoreTermsSql({ asOfDay: spec.asOfDay, windowDays: spec.windowDays, day: 'd.day', relevance: `pg.rel${i}` }),
    );
    // What a page view adds to each sum depends only on its page and day: worked out once per
    // classified page and day of the range (pd: 432 pages x 70 days at the bench's scale), so the
    // grouping over the page views only adds them up, where each view computed its own CASEs and
    // decay (the same expressions on the same values: the same terms, bit for bit). A page view of
    // an unclassified page finds no row and adds nothing (NULLs, which sum() skips; a topic with no
    // view counted is written as 0 views, as before).
    // A view's count in the window and its relevance in the baseline in one sum (PACKED_VIEWS),
    // `k = views + pack * baseline` (a day is in one or the other), unpacked per person (`u`).
    const addends = terms.map(
      (t, i) =>
        `CASE WHEN ${t.inWindow} THEN coalesce(pg.n${i}, 0) ELSE ${t.baselineTerm} * ${sqlFloat(pack)} END AS k${i}, ` +
        `CASE WHEN ${t.inWindow} THEN ${t.observedTerm} END AS o${i}`,
    );
    const sums = (from: string) => (i: number) => `sum(${from}.k${i}) AS k${i}, sum(${from}.o${i}) AS o${i}`;
    const { baselineStart, windowStart } = windowsOf(spec.asOfDay, spec.windowDays);
    // Unpacking is exact while every partial sum is an integer below 2^53 (the addends are
    // non-negative integers, so below the person's total) and the views stay below `pack`. A person
    // for whom either may fail is `suspect`: a total of 2^52 or more, or an observed sum so large
    // that the views may have reached `pack` (each view adds at least the topic's least relevance
    // times the window's least decay to it). None at any realistic scale (2^24 window views by one
    // person); if one turns up, the audience is staged the per-pair way instead (null here).
    const leastDecay = 0.5 ** ((spec.asOfDay - windowStart) / HALF_LIFE_DAYS);
    const suspect = topicIds
      .map((_, i) => `coalesce(k${i} >= ${sqlFloat(2 ** 52)} OR o${i} >= lim.m${i} * ${sqlFloat(pack * leastDecay * (1 - 1e-6))}, false)`)
      .join(' OR ');
    const raws = topicIds.map((t, i) =>
      rawScoreSql({
        asOfDay: spec.asOfDay,
        windowDays: spec.windowDays,
        observedPercent: `o${i}`,
        baselinePercent: `b${i}`,
        firstDay: 'first_day',
        rate: sqlFloat(spec.rates[t] ?? 0),
      }),
    );
    // A page's rows on a topic (one, unless it was saved twice) and their relevance summed, as the
    // per-pair join counts them; as doubles, so the person's sums are too (exact below 2^53, and an
    // 8-byte state in the grouping where an integer sum keeps a 128-bit one).
    const pivot = ids
      .map(
        (id, i) =>
          `CAST(count(*) FILTER (WHERE topic_id = ${id}) AS DOUBLE) AS n${i}, CAST(sum(relevance) FILTER (WHERE topic_id = ${id}) AS DOUBLE) AS rel${i}`,
      )
      .join(', ');
    // The sums are taken per visitor first (or per HEM of a page view without a visitor id), then
    // per person over the visitor links: the join with the links and the grouping by a 64-character
    // HEM then see a row per visitor instead of a row per page view (at 10M page views of 2.6M
    // visitors the statement took 4.0 s against 4.9 s resolving every page view first, one DuckDB
    // thread, alternating; docs/audiences.md). Every sum is additive,
    // and the first day a minimum, so per visitor then per person is the same arithmetic in
    // another order (which the rounding margin covers, as above).
    const each = (f: (i: number) => string): string => topicIds.map((_, i) => f(i)).join(', ');
    // Page views of visitors with a key (duckdb-visitor-key.ts: the tracker's ids) are grouped by it
    // and joined with the links on it; the rest (other ids, a HEM without a visitor id, rows from
    // before the key) by their text, when there are any. A visitor's rows of both kinds meet again
    // in the grouping by person: every sum is additive and the first day a minimum.
    const where = pageViewsWhere(p, org, range);
    const byText = await this.unkeyedViews(spec.organizationId, range);
    const day = `e.ts_millis // ${DAY_MS}`;
    const keyed =
      `pk AS (SELECT e.${VISITOR_KEY} AS k, min(${day}) AS first_day, ${each(sums('pd'))} FROM events e ` +
      `LEFT JOIN pd ON pd.url = e.url AND pd.day = ${day} WHERE ${where} AND e.${VISITOR_KEY} IS NOT NULL GROUP BY e.${VISITOR_KEY}), `;
    const text =
      `r AS (SELECT e.visitor_id, CASE WHEN e.visitor_id IS NULL THEN e.hem_sha256 END AS own, ${day} AS day, e.url ` +
      `FROM events e WHERE ${where} AND ${UNKEYED}), ` +
      `pv AS (SELECT r.visitor_id, r.own, min(r.day) AS first_day, ${each(sums('pd'))} ` +
      'FROM r LEFT JOIN pd ON pd.url = r.url AND pd.day = r.day GROUP BY r.visitor_id, r.own), ';
    const columns = `x.first_day, ${each((i) => `x.k${i}, x.o${i}`)}`;
    const people =
      `x AS (SELECT l.hem_sha256 AS hem, ${columns} FROM pk x JOIN visitor_links l ON l.organization_id = ${org} AND l.${VISITOR_KEY} = x.k` +
      (byText
        ? ` UNION ALL SELECT ${personSql('x.own', 'x.visitor_id')} AS hem, ${columns} FROM pv x ${linksJoin(org, 'x.visitor_id')} ` +
          `WHERE (${personSql('x.own', 'x.visitor_id')}) IS NOT NULL`
        : '') +
      '), ';
    const unpacked =
      `lim AS (SELECT ${ids.map((id, i) => `min(relevance) FILTER (WHERE topic_id = ${id}) AS m${i}`).join(', ')} FROM intent_page_topics ` +
      `WHERE organization_id = ${org} AND topic_id IN (${ids.join(', ')})), ` +
      `u AS (SELECT hem, first_day, ${each((i) => `k${i} % ${sqlFloat(pack)} AS v${i}, (k${i} - k${i} % ${sqlFloat(pack)}) / ${sqlFloat(pack)} AS b${i}, o${i}`)}, ` +
      `${suspect} AS suspect FROM g, lim), `;
    const sql =
      `CREATE TABLE ${table} AS WITH pg AS (SELECT url, ${pivot} FROM intent_page_topics WHERE organization_id = ${org} ` +
      `AND topic_id IN (${ids.join(', ')}) GROUP BY url), ` +
      `pd AS (SELECT pg.url, d.day, ${addends.join(', ')} FROM pg, (SELECT range AS day FROM range(${baselineStart}, ${spec.asOfDay + 1})) d), ` +
      `${keyed}${byText ? text : ''}${people}` +
      `g AS (SELECT x.hem, min(x.first_day) AS first_day, ${each(sums('x'))} FROM x GROUP BY x.hem), ${unpacked}` +
      `s AS (SELECT hem, ${topicIds.map((_, i) => `v${i}, CASE WHEN v${i} > 0 THEN ${raws[i]} END AS raw${i}`).join(', ')}, suspect ` +
      `FROM u WHERE ${topicIds.map((_, i) => `v${i} > 0`).join(' OR ')} OR suspect) ` +
      `SELECT hem, suspect, ${topicIds
        .map(
          (_, i) =>
            `CAST(coalesce(v${i}, 0) AS BIGINT) AS v${i}, CAST(${roundedScoreSql(`raw${i}`)} AS INTEGER) AS s${i}, ` +
            `coalesce(${ambiguousScoreSql(`raw${i}`, `v${i}`)}, false) AS a${i}`,
        )
        .join(', ')} FROM s`;
    await this.db.read(sql, p.values, p.types);
    const [suspects] = await this.db.read(`SELECT count(*) FROM ${table} WHERE suspect`, [], []);
    if (num(suspects?.[0]) > 0) {
      await this.db.read(`DROP TABLE IF EXISTS ${table}`, [], []);
      return null;
    }
    this.wide.set(stage, topicIds);
    // The pairs, and the uncertain ones (or all), as the per-pair form gives them.
    const q = new Params();
    const pairs = topicIds.map(
      (t, i) => `SELECT hem, CAST(${q.add(t, VARCHAR)} AS VARCHAR) AS topic_id, s${i} AS score, a${i} AS a FROM ${table} WHERE v${i} > 0`,
    );
    const all = `(${pairs.join(' UNION ALL ')})`;
    const [count] = await this.db.read(`SELECT count(*) FROM ${all}`, q.values, q.types);
    const ambiguous = await this.db.read(
      `SELECT hem, topic_id, score FROM ${all}${spec.listAll ? '' : ' WHERE a'} ORDER BY hem, topic_id`,
      q.values,
      q.types,
    );
    return {
      stage,
      pairs: num(count?.[0]),
      ambiguous: ambiguous.map((r) => ({ hem_sha256: String(r[0]), topic_id: String(r[1]), intent_score: num(r[2]) })),
    };
  }

  /**
   * Whether the organization's page views in `range` include any a person could be found for without
   * a visitor key (another form of id, a HEM without an id, a row from before the key): the stage
   * then resolves those by text too. Row groups whose keys have no NULLs are skipped unread. One
   * stored between this check and the stage's statement is left to the next build, as one stored
   * just after the statement is.
   */
  private async unkeyedViews(organizationId: string, range: { fromMs: number; toMs: number }): Promise<boolean> {
    const p = new Params();
    const [row] = await this.db.read(
      `SELECT count(*) > 0 FROM (SELECT 1 FROM events e WHERE ${pageViewsWhere(p, p.add(organizationId, VARCHAR), range)} ` +
        `AND ${UNKEYED} LIMIT 1)`,
      p.values,
      p.types,
    );
    return row?.[0] === true;
  }

  /** writeIntentAudience on a wide stage: the per-person values are expressions of each row's columns. */
  private async writeWide(w: IntentAudienceWrite, topicIds: readonly string[]): Promise<AudienceCounts> {
    const p = new Params();
    const org = p.add(w.organizationId, VARCHAR);
    // A topic's score column (a topic the stage did not score has none: no score, as in the per-pair form).
    const col = (t: string): string => (topicIds.includes(t) ? `s${topicIds.indexOf(t)}` : 'CAST(NULL AS INTEGER)');
    const score = topicIds.map((t, i) => {
      const cases = w.overrides
        .filter((o) => o.topic_id === t)
        .map((o) => `WHEN hem = ${p.add(o.hem_sha256, VARCHAR)} THEN ${p.add(o.intent_score, INTEGER)}`);
      return cases.length > 0 ? `CASE ${cases.join(' ')} ELSE s${i} END AS s${i}` : `s${i}`;
    });
    // A topic is matched when its score reaches the lowest min_score of the rules naming it.
    const threshold = new Map<string, number>();
    for (const m of matchThresholds(w.filter)) for (const t of m.topicIds) threshold.set(t, m.minScore);
    const matched = topicIds.map((t, i) => `coalesce(s${i} >= ${threshold.get(t) ?? 101}, false) AS m${i}`);
    const rules = intentRules(w.filter);
    const ruleColumns = rules.map(
      (r, j) => `(${r.topic_ids.map((t) => `coalesce(${col(t)} >= ${r.min_score}, false)`).join(' OR ')}) AS r${j}`,
    );
    const condition = filterSql(w.filter, (r) =>
      isIntent(r) ? `r${rules.indexOf(r)}` : `(${this.db.profileFilterSql(ruleFilter(r), p)})`,
    );
    const each = (f: (i: number) => string, sep: string) => topicIds.map((_, i) => f(i)).join(sep);
    const perPerson =
      `WITH m AS (SELECT hem, ${each((i) => `v${i}`, ', ')}, ${score.join(', ')} FROM ${stageTable(w.stage)}), ` +
      `n AS (SELECT *, ${matched.join(', ')} FROM m), ` +
      `p AS (SELECT *, ${[...ruleColumns, ''].join(', ')}(${each((i) => `m${i}`, ' OR ')}) AS any_m, ` +
      `greatest(${each((i) => `CASE WHEN m${i} THEN s${i} END`, ', ')}) AS best_m, ` +
      `(${each((i) => `CASE WHEN m${i} THEN v${i} ELSE 0 END`, ' + ')}) AS views_m, ` +
      `greatest(${each((i) => `s${i}`, ', ')}) AS best_a, (${each((i) => `v${i}`, ' + ')}) AS views_a, ${topicPlacesSql(topicIds)} FROM n) `;
    return this.writePeople(w, p, org, perPerson, condition, () => wideTopicsJson(topicIds, p));
  }
}

/** Strings in the order DuckDB compares VARCHARs: their UTF-8 bytes. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Each topic's place `pl<i>` among a wide stage's row's topics in writePeople's order: the number of
 * topics before it by score and views (both descending), then id (whose order is known here). The
 * topics are distinct, so the places are 0..n-1 (a topic without views has no score: -1, last).
 */
function topicPlacesSql(topicIds: readonly string[]): string {
  const idOrder = [...topicIds].sort(byBytes);
  const score = (i: number) => `coalesce(s${i}, -1)`;
  const before = (j: number, i: number): string => {
    const tie = idOrder.indexOf(topicIds[j] as string) < idOrder.indexOf(topicIds[i] as string) ? '>=' : '>';
    return `CAST(${score(j)} > ${score(i)} OR (${score(j)} = ${score(i)} AND v${j} ${tie} v${i}) AS INTEGER)`;
  };
  return topicIds
    .map((_, i) => `${topicIds.length === 1 ? '0' : topicIds.flatMap((_, j) => (j === i ? [] : [before(j, i)])).join(' + ')} AS pl${i}`)
    .join(', ');
}

/**
 * A wide stage's member topics as JSON (writePeople's choice and order) from the row's columns, for
 * the chosen people only: in each place, the topic there if it has views and is matched (or has
 * views, when none matched). A few comparisons per topic (topicPlacesSql), where building, sorting
 * and filtering a list of structs took 0.3 s of a 10M-page-view build.
 */
function wideTopicsJson(topicIds: readonly string[], p: Params): string {
  const kept = (i: number) => `v${i} > 0 AND (m${i} OR NOT any_m)`;
  const ids = topicIds.map((t) => p.add(JSON.stringify(t), VARCHAR));
  const slots = topicIds.map((_, k) => `CASE ${topicIds.map((_, i) => `WHEN pl${i} = ${k} AND ${kept(i)} THEN ${ids[i]}`).join(' ')} END`);
  return `'[' || concat_ws(',', ${slots.join(', ')}) || ']'`;
}
