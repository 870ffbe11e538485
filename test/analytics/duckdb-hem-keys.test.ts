// The HEM lookup keys of the DuckDB profiles table (analytics/duckdb-hem-keys.ts): the key computed
// in JavaScript for a lookup must be the key DuckDB stored for the same HEM, or the lookup misses.
import { createHash } from 'node:crypto';
import { DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { hemKey, hemKeySql } from '../../src/analytics/duckdb-hem-keys.js';

describe('HEM lookup keys', () => {
  it('are the same in JavaScript and in DuckDB for every keyed HEM, and null for the others', async () => {
    const hems = [
      ...Array.from({ length: 300 }, (_, i) => createHash('sha256').update(`person-${i}`).digest('hex')),
      ...Array.from({ length: 300 }, (_, i) => createHash('md5').update(`person-${i}`).digest('hex')),
      'f'.repeat(64),
      '0'.repeat(32),
      `8${'0'.repeat(15)}`,
    ];
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      for (const hem of hems) {
        const [row] = (await conn.runAndReadAll(`SELECT ${hemKeySql('$1')}`, [hem], [VARCHAR])).getRows();
        expect(hemKey(hem)).not.toBeNull();
        expect(row?.[0]).toBe(hemKey(hem));
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    expect(hemKey('f'.repeat(64))).toBe(2n ** 64n - 1n);
    for (const odd of ['', 'abc', 'F'.repeat(64), ` ${'a'.repeat(63)}`, `1_${'0'.repeat(62)}`, 'not-a-hash'])
      expect(hemKey(odd)).toBeNull();
  });
});
