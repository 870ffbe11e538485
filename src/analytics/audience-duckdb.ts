// The audience half of the DuckDB store (audiences/results.ts has the contract): one table of run
// rows, written in one transaction per call, read by rank. Rows of a run are inserted together, so
// DuckDB's per-row-group min/max on (audience_id, rank) keep reads of one run cheap without an index.
import { BIGINT, DOUBLE, DuckDBDataChunk, type DuckDBType, type DuckDBValue, INTEGER, VARCHAR } from '@duckdb/node-api';
import type { AudienceMember, AudienceResultsStore, AudienceRunKey } from '../audiences/results.js';
import type { DuckDbRunner } from './intent-duckdb.js';

export const AUDIENCE_DDL: readonly string[] = [
  'CREATE TABLE IF NOT EXISTS audience_rows (organization_id VARCHAR NOT NULL, audience_id BIGINT NOT NULL, run_id VARCHAR NOT NULL, ' +
    '"rank" INTEGER NOT NULL, hem_sha256 VARCHAR NOT NULL, intent_score DOUBLE, intent_frequency BIGINT NOT NULL, ' +
    'topics VARCHAR NOT NULL, profile VARCHAR)',
];

/** What the adapter lends this module: reads, a transaction of statements, and appending chunks in one transaction. */
export interface DuckDbAudienceRunner extends DuckDbRunner {
  append(table: string, chunks: readonly DuckDBDataChunk[]): Promise<void>;
}

/** Rows per appended chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048;
const TYPES: DuckDBType[] = [VARCHAR, BIGINT, VARCHAR, INTEGER, VARCHAR, DOUBLE, BIGINT, VARCHAR, VARCHAR];

const num = (v: DuckDBValue | undefined): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

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
          r.profile,
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
    const rows = await this.db.read(
      'SELECT "rank", hem_sha256, intent_score, intent_frequency, topics, profile FROM audience_rows ' +
        'WHERE organization_id = $1 AND audience_id = $2 AND run_id = $3 AND "rank" > $4 ORDER BY "rank" LIMIT $5',
      [key.organizationId, BigInt(key.audienceId), key.runId, page.afterRank, BigInt(page.limit)],
      [VARCHAR, BIGINT, VARCHAR, INTEGER, BIGINT],
    );
    return rows.map((r) => ({
      rank: num(r[0]),
      hem_sha256: String(r[1]),
      intent_score: r[2] === null ? null : num(r[2]),
      intent_frequency: num(r[3]),
      topics: JSON.parse(String(r[4])) as string[],
      profile: r[5] === null ? null : String(r[5]),
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
}
