// The audience half of the ClickHouse store (audiences/results.ts has the contract): a MergeTree of
// run rows sorted by (organization, audience, run, rank), so a run's page is one range read, and the
// set-wise build of an intents audience. Old runs go with an ALTER TABLE ... DELETE mutation that is
// not waited for: readers only ever name the run the catalog serves, so rows awaiting deletion are
// never read. Values are literals from clickhouse-sql.ts, as in the rest of the adapter (written for
// 18.16: one JOIN per SELECT, hence the nesting; no window functions, so the rank is the row number
// of the sorted result).
//
// A profile is kept as an array of its fields in PROFILE_COLUMNS order (`profile_cells`): 18.16 has
// no function that writes JSON, and escaping it by hand in SQL costs more than the build. Rows
// written before that column existed keep their JSON text in `profile`, which is still read.
//
// Build: the scores of everyone on the audience's topics come from one aggregate over the resolved
// page views, written to `<events>_audience_scores` in a partition of their own (the stage), then
// the audience is one INSERT ... SELECT from that partition joined with the live profiles. A stage's
// partition is dropped when the build ends; stages left by a process that died are dropped by the
// next build after an hour.

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
import { sqlNumber, sqlString, sqlStringList, toWellFormed } from './clickhouse-sql.js';
import type { Filter } from './types.js';

type JsonCell = string | number | boolean | null | JsonCell[];
type JsonRow = Record<string, JsonCell>;

export interface ClickHouseAudienceRunner {
  /** `db`.`<events>_audience_rows`. */
  table: string;
  /** The stages' table, and its database and name as system.parts knows them. */
  scores: { table: string; database: string; name: string };
  events: string;
  links: string;
  profiles: string;
  pages: string;
  /** `joins`: missing join rows must read as NULL (join_use_nulls). */
  select(sql: string, joins?: boolean): Promise<JsonRow[]>;
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
  /** `joins` as for select. */
  command(sql: string, joins?: boolean): Promise<void>;
  /** A field rule's filter (OR of AND-groups) as SQL over the profiles table's columns. */
  profileFilterSql(filter: Filter): string;
  /** `ALTER TABLE table <mutation>`, resolved once the table's mutations are done. */
  mutate(table: string, mutation: string): Promise<void>;
}

export const audienceRowsDdl = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (\`organization_id\` String, \`audience_id\` Int64, \`run_id\` String, \`rank\` UInt32, ` +
  '`hem_sha256` String, `intent_score` Nullable(Float64), `intent_frequency` Int64, `topics` String, `profile` Nullable(String), ' +
  '`profile_cells` Array(Nullable(String))) ENGINE = MergeTree ORDER BY (`organization_id`, `audience_id`, `run_id`, `rank`)';

/** For tables made before profile_cells: added by init (a duplicate column error means another process did it). */
export const audienceRowsCells = (table: string): string => `ALTER TABLE ${table} ADD COLUMN \`profile_cells\` Array(Nullable(String))`;

export const audienceScoresDdl = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (\`stage\` String, \`hem\` String, \`topic_id\` String, \`views\` UInt64, ` +
  '`score` Int32, `ambiguous` UInt8) ENGINE = MergeTree PARTITION BY `stage` ORDER BY (`hem`, `topic_id`)';

/** The profile columns a run keeps (all but updated_at), in table order. */
const PROFILE_FIELDS = PROFILE_COLUMNS.filter((c) => c.name !== 'updated_at');
/** Stages older than this are a dead process's: the next build drops them. */
const STALE_STAGE_MS = 3_600_000;

const num = (v: JsonCell | undefined): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`ClickHouse returned a non-numeric value: ${JSON.stringify(v)}`);
  return n;
};
const q = (name: string): string => `\`${name}\``;

/** Rows per insert request. */
const BATCH = 50_000;

const stageName = (): string => `stage_${Date.now()}_${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
function checkStage(stage: string): string {
  if (!/^stage_[0-9]+_[0-9a-f]+$/.test(stage)) throw new Error(`not a stage name: ${stage}`);
  return stage;
}

/** A profile as stored cells (PROFILE_FIELDS order, numbers as text). */
function cellsOf(profile: AudienceProfile | null): (string | null)[] {
  if (profile === null) return [];
  return PROFILE_FIELDS.map((c) => {
    const v = profile[c.name];
    return v === null || v === undefined ? null : toWellFormed(String(v));
  });
}

/** Stored cells (or an older row's JSON text) as the profile. */
function profileOf(cells: JsonCell | undefined, json: JsonCell | undefined): AudienceProfile | null {
  if (Array.isArray(cells) && cells.length > 0) {
    const out: AudienceProfile = {};
    PROFILE_FIELDS.forEach((c, i) => {
      const v = cells[i];
      if (v === null || v === undefined) return;
      out[c.name] = c.data_type === 'Utf8' ? String(v) : Number(v);
    });
    return out;
  }
  return typeof json === 'string' ? (JSON.parse(json) as AudienceProfile) : null;
}

export class ClickHouseAudiences implements AudienceResultsStore {
  constructor(private readonly ch: ClickHouseAudienceRunner) {}

  async writeAudienceRows(key: AudienceRunKey, rows: readonly AudienceMember[]): Promise<void> {
    for (let start = 0; start < rows.length; start += BATCH) {
      await this.ch.insert(
        this.ch.table,
        rows.slice(start, start + BATCH).map((r) => ({
          organization_id: key.organizationId,
          audience_id: key.audienceId,
          run_id: key.runId,
          rank: r.rank,
          hem_sha256: r.hem_sha256,
          intent_score: r.intent_score,
          intent_frequency: r.intent_frequency,
          topics: JSON.stringify(r.topics),
          profile: null,
          profile_cells: cellsOf(r.profile),
        })),
      );
    }
  }

  async readAudienceRows(key: AudienceRunKey, page: { afterRank: number; limit: number }): Promise<AudienceMember[]> {
    const rows = await this.ch.select(
      `SELECT \`rank\`, \`hem_sha256\`, \`intent_score\`, \`intent_frequency\`, \`topics\`, \`profile\`, \`profile_cells\` FROM ${this.ch.table} ` +
        `WHERE \`organization_id\` = ${sqlString(key.organizationId)} AND \`audience_id\` = ${sqlNumber(key.audienceId)} ` +
        `AND \`run_id\` = ${sqlString(key.runId)} AND \`rank\` > ${sqlNumber(page.afterRank)} ` +
        `ORDER BY \`rank\` LIMIT ${sqlNumber(page.limit)}`,
    );
    return rows.map((r) => ({
      rank: num(r.rank),
      hem_sha256: String(r.hem_sha256),
      intent_score: r.intent_score === null ? null : num(r.intent_score),
      intent_frequency: num(r.intent_frequency),
      topics: JSON.parse(String(r.topics)) as string[],
      profile: profileOf(r.profile_cells, r.profile),
    }));
  }

  async deleteAudienceRuns(organizationId: string, audienceId: number, runIds: readonly string[] | 'all'): Promise<void> {
    if (runIds !== 'all' && runIds.length === 0) return;
    const runs = runIds === 'all' ? '' : ` AND \`run_id\` IN ${sqlStringList(runIds)}`;
    await this.ch.command(
      `ALTER TABLE ${this.ch.table} DELETE WHERE \`organization_id\` = ${sqlString(organizationId)} ` +
        `AND \`audience_id\` = ${sqlNumber(audienceId)}${runs}`,
    );
  }

  async deleteAudienceMembers(key: AudienceRunKey, hems: readonly string[]): Promise<void> {
    if (hems.length === 0) return;
    // Waited for, as erasePerson waits for its own: the run is served once this resolves.
    await this.ch.mutate(
      this.ch.table,
      `DELETE WHERE \`organization_id\` = ${sqlString(key.organizationId)} AND \`audience_id\` = ${sqlNumber(key.audienceId)} ` +
        `AND \`run_id\` = ${sqlString(key.runId)} AND \`hem_sha256\` IN ${sqlStringList(hems)}`,
    );
  }

  async stageIntentScores(spec: IntentScoresSpec): Promise<StagedIntentScores> {
    await this.dropStaleStages();
    const stage = stageName();
    if (spec.topicIds.length > 0) await this.ch.command(this.stageSql(stage, spec));
    const where = `\`stage\` = ${sqlString(stage)}`;
    const [count] = await this.ch.select(`SELECT count() AS \`c\` FROM ${this.ch.scores.table} WHERE ${where}`);
    const ambiguous = await this.ch.select(
      `SELECT \`hem\`, \`topic_id\`, \`score\` FROM ${this.ch.scores.table} WHERE ${where}${spec.listAll ? '' : ' AND `ambiguous` = 1'} ` +
        'ORDER BY `hem`, `topic_id`',
    );
    return {
      stage,
      pairs: num(count?.c ?? 0),
      ambiguous: ambiguous.map((r) => ({ hem_sha256: String(r.hem), topic_id: String(r.topic_id), intent_score: num(r.score) })),
    };
  }

  private stageSql(stage: string, spec: IntentScoresSpec): string {
    const org = sqlString(spec.organizationId);
    const range = scoreRangeMs(spec.asOfDay, spec.windowDays);
    const topics = sqlStringList(spec.topicIds);
    const terms = scoreTermsSql({ asOfDay: spec.asOfDay, windowDays: spec.windowDays, day: '`day`', relevance: '`rel`' });
    const rated = Object.entries(spec.rates).filter(([t]) => spec.topicIds.includes(t));
    const rate =
      rated.length > 0
        ? `transform(\`topic_id\`, [${rated.map(([t]) => sqlString(t)).join(', ')}], [${rated.map(([, r]) => sqlFloat(r)).join(', ')}], ${sqlFloat(0)})`
        : sqlFloat(0);
    const raw = rawScoreSql({
      asOfDay: spec.asOfDay,
      windowDays: spec.windowDays,
      observedPercent: '`observed`',
      baselinePercent: '`baseline`',
      firstDay: '`first_day`',
      rate,
    });
    const links =
      `(SELECT \`visitor_id\`, \`hem_sha256\` FROM (SELECT \`visitor_id\`, \`hem_sha256\`, \`deleted\` FROM ${this.ch.links} FINAL ` +
      `WHERE \`organization_id\` = ${org}) WHERE \`deleted\` = 0)`;
    // Page views resolved to people: the visitor's current link, or the event's own HEM without a visitor id.
    const resolved =
      "SELECT if(isNull(`visitor_id`), `own_hem`, nullIf(`link_hem`, '')) AS `r_hem0`, `day`, `page_url` FROM " +
      `(SELECT \`visitor_id\`, \`hem_sha256\` AS \`own_hem\`, intDiv(\`ts_millis\`, ${DAY_MS}) AS \`day\`, assumeNotNull(\`url\`) AS \`page_url\` ` +
      `FROM ${this.ch.events} WHERE \`organization_id\` = ${org} AND \`event_type\` = 'page_view' AND \`is_bot\` = 0 AND isNotNull(\`url\`) ` +
      `AND \`ts_millis\` >= ${sqlNumber(range.fromMs)} AND \`ts_millis\` <= ${sqlNumber(range.toMs)}) AS \`ev\` ` +
      `ANY LEFT JOIN (SELECT toNullable(\`visitor_id\`) AS \`visitor_id\`, \`hem_sha256\` AS \`link_hem\` FROM ${links}) AS \`ln\` USING \`visitor_id\``;
    // Each page's topics among the audience's (pages about none of them keep empty arrays: their
    // views still count for the person's first day).
    const pages =
      `SELECT \`url\` AS \`page_url\`, arrayFilter((t, r) -> t IN ${topics}, \`topic_ids\`, \`relevances\`) AS \`tids\`, ` +
      `arrayFilter((r, t) -> t IN ${topics}, \`relevances\`, \`topic_ids\`) AS \`rels\` FROM ` +
      `(SELECT * FROM ${this.ch.pages} FINAL WHERE \`organization_id\` = ${org}) WHERE notEmpty(\`tids\`)`;
    const views =
      'SELECT `r_hem`, `day`, `topic_id`, `rel` FROM (SELECT `r_hem`, `day`, `tids`, `rels` FROM ' +
      `(SELECT assumeNotNull(\`r_hem0\`) AS \`r_hem\`, \`day\`, \`page_url\` FROM (${resolved}) WHERE isNotNull(\`r_hem0\`)) AS \`rv\` ` +
      `ANY LEFT JOIN (${pages}) AS \`pg\` USING \`page_url\`) LEFT ARRAY JOIN \`tids\` AS \`topic_id\`, \`rels\` AS \`rel\``;
    const perTopic =
      `SELECT \`r_hem\`, \`topic_id\`, min(\`day\`) AS \`first\`, countIf(${terms.inWindow}) AS \`v\`, ` +
      `sumIf(toUInt64(${terms.baselineTerm}), NOT (${terms.inWindow})) AS \`b\`, sumIf(${terms.observedTerm}, ${terms.inWindow}) AS \`o\` ` +
      `FROM (${views}) GROUP BY \`r_hem\`, \`topic_id\``;
    const perPerson =
      'SELECT `r_hem` AS `hem`, min(`first`) AS `first_day`, groupArray(`topic_id`) AS `ts`, groupArray(`v`) AS `vs`, ' +
      `groupArray(\`b\`) AS \`bs\`, groupArray(\`o\`) AS \`os\` FROM (${perTopic}) GROUP BY \`r_hem\``;
    const pairs =
      `SELECT \`hem\`, \`topic_id\`, \`views\`, ${raw} AS \`raw\` FROM (SELECT \`hem\`, \`first_day\`, \`topic_id\`, \`views\`, \`baseline\`, \`observed\` ` +
      `FROM (${perPerson}) ARRAY JOIN \`ts\` AS \`topic_id\`, \`vs\` AS \`views\`, \`bs\` AS \`baseline\`, \`os\` AS \`observed\` ` +
      "WHERE `topic_id` != '' AND `views` > 0)";
    return (
      `INSERT INTO ${this.ch.scores.table} (\`stage\`, \`hem\`, \`topic_id\`, \`views\`, \`score\`, \`ambiguous\`) ` +
      `SELECT ${sqlString(checkStage(stage))}, \`hem\`, \`topic_id\`, \`views\`, toInt32(${roundedScoreSql('`raw`')}), ` +
      `toUInt8(${ambiguousScoreSql('`raw`', '`views`')}) FROM (${pairs})`
    );
  }

  async writeIntentAudience(w: IntentAudienceWrite): Promise<AudienceCounts> {
    const org = sqlString(w.organizationId);
    const overrides = w.overrides.map(
      (o) => `\`hem\` = ${sqlString(o.hem_sha256)} AND \`topic_id\` = ${sqlString(o.topic_id)}, ${sqlNumber(o.intent_score)}`,
    );
    const score = overrides.length > 0 ? `multiIf(${overrides.join(', ')}, \`score\`)` : '`score`';
    const matched = matchThresholds(w.filter)
      .map((m) => `(\`topic_id\` IN ${sqlStringList(m.topicIds)} AND \`score\` >= ${sqlNumber(m.minScore)})`)
      .join(' OR ');
    const rules = intentRules(w.filter);
    const ruleColumns = rules.map(
      (r, i) => `toUInt8(\`topic_id\` IN ${sqlStringList(r.topic_ids)} AND \`score\` >= ${sqlNumber(r.min_score)}) AS \`rule${i}\``,
    );
    const condition = filterSql(w.filter, (r) =>
      isIntent(r) ? `\`r${rules.indexOf(r)}\` = 1` : `(${this.ch.profileFilterSql(ruleFilter(r))})`,
    );
    const scored =
      `SELECT \`hem\`, \`topic_id\`, \`views\`, \`score\`, toUInt8(${matched || '0'}) AS \`matched\`${ruleColumns.map((c) => `, ${c}`).join('')} ` +
      `FROM (SELECT \`hem\`, \`topic_id\`, \`views\`, ${score} AS \`score\` FROM ${this.ch.scores.table} WHERE \`stage\` = ${sqlString(checkStage(w.stage))})`;
    const perPerson =
      `SELECT \`hem\` AS \`r_hem\`${rules.map((_, i) => `, max(\`rule${i}\`) AS \`r${i}\``).join('')}, max(\`matched\`) AS \`any_m\`, ` +
      'maxIf(`score`, `matched` = 1) AS `best_m`, sumIf(`views`, `matched` = 1) AS `views_m`, max(`score`) AS `best_a`, sum(`views`) AS `views_a`, ' +
      `groupArray((-\`score\`, -toInt64(\`views\`), \`topic_id\`, \`matched\`)) AS \`l\` FROM (${scored}) GROUP BY \`hem\``;
    const columns = PROFILE_FIELDS.map((c) => q(c.name)).join(', ');
    const profiles =
      `SELECT \`hem_sha256\` AS \`r_hem\`, ${columns} FROM (SELECT ${columns}, \`deleted\` FROM ${this.ch.profiles} FINAL ` +
      `WHERE \`organization_id\` = ${org}) WHERE \`deleted\` = 0`;
    const chosen =
      `SELECT \`r_hem\`, if(\`any_m\` = 1, \`best_m\`, \`best_a\`) AS \`score\`, if(\`any_m\` = 1, \`views_m\`, \`views_a\`) AS \`views\`, ` +
      '`l`, `any_m`, ' +
      `${columns} FROM (${perPerson}) AS \`pp\` ANY LEFT JOIN (${profiles}) AS \`pr\` USING \`r_hem\` WHERE ${condition}`;
    const bands = (column: string) =>
      SCORE_BANDS.map((b, i) => `countIf(${column} >= ${b.min} AND ${column} <= ${b.max}) AS \`b${i}\``).join(', ');
    let row: JsonRow | undefined;
    if (w.target === null) {
      [row] = await this.ch.select(
        `SELECT count() AS \`n\`, countIf(isNotNull(\`hem_sha256\`)) AS \`p\`, ${bands('`score`')} FROM (${chosen})`,
        true,
      );
    } else {
      const cells = `if(isNull(\`hem_sha256\`), CAST([] AS Array(Nullable(String))), [${PROFILE_FIELDS.map((c) =>
        c.data_type === 'Utf8' ? q(c.name) : `toString(${q(c.name)})`,
      ).join(', ')}])`;
      const topicsJson =
        "concat('[', arrayStringConcat(arrayMap(x -> concat('\"', replaceAll(replaceAll(x.3, '\\\\', '\\\\\\\\'), '\"', '\\\\\"'), '\"'), " +
        "arraySort(if(`any_m` = 1, arrayFilter(x -> x.4 = 1, `l`), `l`))), ','), ']')";
      const sorted =
        `SELECT \`r_hem\`, \`score\`, \`views\`, ${topicsJson} AS \`topics_json\`, ${cells} AS \`cells\` FROM (${chosen}) ` +
        'ORDER BY `score` DESC, `views` DESC, `r_hem`';
      const t = w.target;
      await this.ch.command(
        `INSERT INTO ${this.ch.table} (\`organization_id\`, \`audience_id\`, \`run_id\`, \`rank\`, \`hem_sha256\`, \`intent_score\`, ` +
          '`intent_frequency`, `topics`, `profile`, `profile_cells`) ' +
          `SELECT ${org}, ${sqlNumber(t.audienceId)}, ${sqlString(t.runId)}, toUInt32(rowNumberInAllBlocks()), \`r_hem\`, \`score\`, \`views\`, ` +
          `\`topics_json\`, NULL, \`cells\` FROM (${sorted})`,
        true,
      );
      [row] = await this.ch.select(
        `SELECT count() AS \`n\`, countIf(notEmpty(\`profile_cells\`)) AS \`p\`, ${bands('`intent_score`')} FROM ${this.ch.table} ` +
          `WHERE \`organization_id\` = ${org} AND \`audience_id\` = ${sqlNumber(t.audienceId)} AND \`run_id\` = ${sqlString(t.runId)}`,
      );
    }
    const bucketCounts: Record<string, number> = {};
    SCORE_BANDS.forEach((b, i) => {
      bucketCounts[b.key] = num(row?.[`b${i}`] ?? 0);
    });
    return { recordCount: num(row?.n ?? 0), distinctProfileCount: num(row?.p ?? 0), bucketCounts };
  }

  async dropIntentStage(_organizationId: string, stage: string): Promise<void> {
    await this.ch.command(`ALTER TABLE ${this.ch.scores.table} DROP PARTITION ${sqlString(checkStage(stage))}`);
  }

  /** Drops the stages of builds that never finished (their process died), after an hour. */
  private async dropStaleStages(): Promise<void> {
    const parts = await this.ch.select(
      `SELECT DISTINCT \`partition\` FROM system.parts WHERE \`database\` = ${sqlString(this.ch.scores.database)} ` +
        `AND \`table\` = ${sqlString(this.ch.scores.name)} AND \`active\` = 1`,
    );
    const now = Date.now();
    for (const p of parts) {
      const m = /stage_([0-9]+)_[0-9a-f]+/.exec(String(p.partition));
      if (m && now - Number(m[1]) > STALE_STAGE_MS) await this.dropIntentStage('', m[0]);
    }
  }
}
