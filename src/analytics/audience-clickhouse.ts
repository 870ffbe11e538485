// The audience half of the ClickHouse store (audiences/results.ts has the contract): a MergeTree of
// run rows sorted by (organization, audience, run, rank), so a run's page is one range read. Old
// runs go with an ALTER TABLE ... DELETE mutation that is not waited for: readers only ever name the
// run the catalog serves, so rows awaiting deletion are never read. Values are literals from
// clickhouse-sql.ts, as in the rest of the adapter (written for 18.16).
import type { AudienceMember, AudienceResultsStore, AudienceRunKey } from '../audiences/results.js';
import { sqlNumber, sqlString, sqlStringList, toWellFormed } from './clickhouse-sql.js';

type JsonCell = string | number | boolean | null;
type JsonRow = Record<string, JsonCell>;

export interface ClickHouseAudienceRunner {
  table: string;
  select(sql: string): Promise<JsonRow[]>;
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
  command(sql: string): Promise<void>;
}

export const audienceRowsDdl = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (\`organization_id\` String, \`audience_id\` Int64, \`run_id\` String, \`rank\` UInt32, ` +
  '`hem_sha256` String, `intent_score` Nullable(Float64), `intent_frequency` Int64, `topics` String, `profile` Nullable(String)) ' +
  'ENGINE = MergeTree ORDER BY (`organization_id`, `audience_id`, `run_id`, `rank`)';

const num = (v: JsonCell | undefined): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`ClickHouse returned a non-numeric value: ${JSON.stringify(v)}`);
  return n;
};

/** Rows per insert request. */
const BATCH = 50_000;

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
          profile: r.profile === null ? null : toWellFormed(r.profile),
        })),
      );
    }
  }

  async readAudienceRows(key: AudienceRunKey, page: { afterRank: number; limit: number }): Promise<AudienceMember[]> {
    const rows = await this.ch.select(
      `SELECT \`rank\`, \`hem_sha256\`, \`intent_score\`, \`intent_frequency\`, \`topics\`, \`profile\` FROM ${this.ch.table} ` +
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
      profile: r.profile === null ? null : String(r.profile),
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
}
