// What every catalog migration file shares: the untyped database a migration runs on (it must not
// depend on today's schema types) and the column type of a time in epoch milliseconds.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and regardless of) the typed schema
export type AnyDb = Kysely<any>;

/** A time as epoch milliseconds: bigint on SQLite and PostgreSQL alike (both read back as numbers: catalog/db.ts). */
export const ms = 'bigint';
