// Profiles on DuckDB are found by HEM through integer keys: the first 16 hex digits of the SHA-256
// and of the MD5, as unsigned 64-bit numbers, each with an ART index. An index on the 64- and
// 32-character strings themselves cost an import of 1M people about as much CPU as everything else
// it does (each key inserted byte by byte into a radix tree, that tree written at each checkpoint);
// on 8-byte keys it costs a fraction. A key finds the candidate rows, and the caller keeps those whose
// HEM is the one asked for (two people sharing 16 hex digits is possible, merely unlikely).
//
// The key of a string that does not start with 16 lowercase hex digits is null here, and such a
// HEM is looked up by its text instead (a scan; events and imports only ever carry lowercase hex).
// In SQL the key is read the same way from any string that starts with 16 lowercase hex digits;
// whatever SQL makes of other strings, they are never looked up by key.

const KEYED = /^[0-9a-f]{16}/;

/** A HEM's lookup key, or null when it has none (see above). */
export function hemKey(hem: string): bigint | null {
  return KEYED.test(hem) ? BigInt(`0x${hem.slice(0, 16)}`) : null;
}

/** The same key computed in DuckDB from a VARCHAR expression. */
export const hemKeySql = (column: string): string => `TRY_CAST('0x' || left(${column}, 16) AS UBIGINT)`;
