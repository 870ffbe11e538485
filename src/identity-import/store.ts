// Identity import records in the catalog: one row per upload with its progress counters and first
// errors, so any server process (not only the one doing the work) answers the status endpoint.
// Kysely, the same on SQLite and PostgreSQL; test/catalog/contract/identity-imports.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb } from '../catalog/schema.js';

export type ImportStatus = 'processing' | 'completed' | 'failed';

export interface IdentityImportsTable {
  id: string;
  organization_id: string;
  format: 'csv' | 'ndjson';
  status: ImportStatus;
  /** Who started it: `api_key:<id>`, `user:<id>` or `cli`. */
  created_by: string;
  bytes_total: number;
  bytes_read: number;
  rows_read: number;
  rows_imported: number;
  rows_rejected: number;
  /** The first rejected rows, JSON `[{"line", "reason"}]` (at most MAX_ERRORS). */
  errors: string;
  /** Why a failed import stopped (the store went away, the server stopped). */
  failure: string | null;
  created_at: number;
  /** Moves with every progress write: a processing import whose heartbeat stops is reported failed. */
  updated_at: number;
  finished_at: number | null;
}

export type IdentityImport = Selectable<IdentityImportsTable>;

export interface ImportError {
  line: number;
  reason: string;
}

export interface ImportProgress {
  bytes_read: number;
  rows_read: number;
  rows_imported: number;
  rows_rejected: number;
  errors: readonly ImportError[];
}

export class IdentityImportsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async create(input: {
    id: string;
    organizationId: string;
    format: IdentityImport['format'];
    createdBy: string;
    bytesTotal: number;
    now: number;
  }): Promise<IdentityImport> {
    const row: IdentityImport = {
      id: input.id,
      organization_id: input.organizationId,
      format: input.format,
      status: 'processing',
      created_by: input.createdBy,
      bytes_total: input.bytesTotal,
      bytes_read: 0,
      rows_read: 0,
      rows_imported: 0,
      rows_rejected: 0,
      errors: '[]',
      failure: null,
      created_at: input.now,
      updated_at: input.now,
      finished_at: null,
    };
    await this.db.insertInto('identity_imports').values(row).execute();
    return row;
  }

  /** One import of one organization; another organization's id is not found. */
  async get(organizationId: string, id: string): Promise<IdentityImport | undefined> {
    return this.db
      .selectFrom('identity_imports')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The organization's imports, newest first. */
  async list(organizationId: string, limit: number): Promise<IdentityImport[]> {
    return this.db
      .selectFrom('identity_imports')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Progress of a running import; false once it is no longer processing (finished or given up). */
  async progress(id: string, p: ImportProgress, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('identity_imports')
      .set({ ...counters(p), updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The end of a running import: its final counters and status. */
  async finish(
    id: string,
    p: ImportProgress,
    outcome: { status: 'completed' } | { status: 'failed'; failure: string },
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('identity_imports')
      .set({
        ...counters(p),
        status: outcome.status,
        failure: outcome.status === 'failed' ? outcome.failure : null,
        updated_at: now,
        finished_at: now,
      })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .execute();
  }

  /**
   * Marks the organization's processing imports whose heartbeat is older than `staleBefore` as
   * failed: the process doing them stopped (killed, crashed) and nobody will finish them.
   */
  async failStale(organizationId: string, staleBefore: number, failure: string, now: number): Promise<number> {
    const r = await this.db
      .updateTable('identity_imports')
      .set({ status: 'failed', failure, updated_at: now, finished_at: now })
      .where('organization_id', '=', organizationId)
      .where('status', '=', 'processing')
      .where('updated_at', '<', staleBefore)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}

const counters = (p: ImportProgress) => ({
  bytes_read: p.bytes_read,
  rows_read: p.rows_read,
  rows_imported: p.rows_imported,
  rows_rejected: p.rows_rejected,
  errors: JSON.stringify(p.errors),
});
