// How many rows a catalog query finds: one helper for every store's count, so each reads its number
// the same way (PostgreSQL returns count(*) as a string, SQLite as a number).
import type { SelectQueryBuilder } from 'kysely';

export async function countRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): Promise<number> {
  // The cast names what TypeScript cannot work out for a query of any table: the one column selected here.
  const r = await query
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .$castTo<{ n: number | string }>()
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
