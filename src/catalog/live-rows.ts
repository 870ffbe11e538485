// Rows that are deleted by status, not removed: pixels, apps, legacy API clients and API keys stay in
// their tables (their ids are still referenced) and are live while `status` is 'active'. One place
// says what that means for a query: a list shows the owner's live rows in creation order, and a
// change touches only the owner's live row and says whether there was one.
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { CatalogDb } from './schema.js';

type LiveTable = 'pixels' | 'apps' | 'api_clients' | 'api_keys';
type OwnerColumn = 'organization_id' | 'user_id' | 'project_id';
/** The columns of `T` that name an owner: a pixel has two (organization and project), an app one (its person). */
type OwnerOf<T extends LiveTable> = Extract<keyof CatalogDb[T], OwnerColumn>;

// Kysely types a query over a union of tables as one row with every table's columns, so each helper
// is written once over the union and declared per table by its overload (the caller's row type).

/** The live rows whose `column` is `owner`, oldest first (ties by id). */
export function listLive<T extends LiveTable>(
  db: Kysely<CatalogDb>,
  table: T,
  column: OwnerOf<T>,
  owner: string,
): Promise<Selectable<CatalogDb[T]>[]>;
export function listLive(db: Kysely<CatalogDb>, table: LiveTable, column: OwnerColumn, owner: string) {
  return db
    .selectFrom(table)
    .selectAll()
    .where(column, '=', owner)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Sets `changes` on row `id` if it is live and `column` is `owner`; false when there is no such row. */
export function updateLive<T extends LiveTable>(
  db: Kysely<CatalogDb>,
  table: T,
  [column, owner]: [OwnerOf<T>, string],
  id: string,
  changes: Updateable<CatalogDb[T]>,
): Promise<boolean>;
export async function updateLive(
  db: Kysely<CatalogDb>,
  table: LiveTable,
  [column, owner]: [OwnerColumn, string],
  id: string,
  changes: Updateable<CatalogDb[LiveTable]>,
) {
  const r = await db
    .updateTable(table)
    .set(changes)
    .where(column, '=', owner)
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
