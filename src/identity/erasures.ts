// Erasures in the catalog: one row per erasure of a person (organization, HEM, when), kept for a
// week. An erasure removes the person from the runs already stored (analytics erasePerson), but an
// audience run computed while it happened may have read the person before and write them after.
// So the erasure is recorded here first, then carried out; and a worker, once its run's rows are
// written, takes out the people erased since it started (audiences/jobs.ts). Either the worker sees
// the record, or the erasure's own delete starts after the run's rows were written and removes them.
// Ids order the records across processes (no clocks compared); a week is far longer than any run.
import { type Generated, type Kysely, type Migration, PostgresAdapter } from 'kysely';
import { type AnyDb, ms } from '../catalog/migration-kit.js';
import type { CatalogDb } from '../catalog/schema.js';

/** How long an erasure is remembered for the runs under way when it happened. */
export const ERASURE_MEMORY_MS = 7 * 86_400_000;

export interface IdentityErasuresTable {
  id: Generated<number>;
  organization_id: string;
  hem_sha256: string;
  erased_at: number;
}

export const identityErasuresMigration: Migration = {
  async up(db: AnyDb) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('identity_erasures')
      .addColumn('id', 'integer', (c) => (postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('hem_sha256', 'text', (c) => c.notNull())
      .addColumn('erased_at', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('identity_erasures_time').on('identity_erasures').column('erased_at').execute();
  },
};

export class ErasuresStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  /** Records an erasure (before it is carried out) and forgets those older than ERASURE_MEMORY_MS. */
  async record(organizationId: string, hemSha256: string, now: number): Promise<void> {
    await this.db
      .deleteFrom('identity_erasures')
      .where('erased_at', '<', now - ERASURE_MEMORY_MS)
      .execute();
    await this.db
      .insertInto('identity_erasures')
      .values({ organization_id: organizationId, hem_sha256: hemSha256, erased_at: now })
      .execute();
  }

  /** A mark to ask `since` with later: the last erasure recorded so far (0 when none). */
  async mark(): Promise<number> {
    const row = await this.db
      .selectFrom('identity_erasures')
      .select((e) => e.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** The HEMs of the organization's erasures recorded after `mark`. */
  async since(organizationId: string, mark: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('identity_erasures')
      .select('hem_sha256')
      .distinct()
      .where('id', '>', mark)
      .where('organization_id', '=', organizationId)
      .execute();
    return rows.map((r) => r.hem_sha256);
  }
}
