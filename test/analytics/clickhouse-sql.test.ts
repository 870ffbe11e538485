// Tests for the ClickHouse escaping helper, the only way values reach SQL on an engine without
// server-side parameters. Pure tests pin the exact output and check it against a model of
// ClickHouse's string-literal reader; with CLICKHOUSE_URL set, property tests round-trip values
// through the real server.
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SqlLiteralError,
  sqlBool,
  sqlConfiguredIdentifier,
  sqlIdentifier,
  sqlNumber,
  sqlString,
  sqlStringList,
  sqlValue,
  toWellFormed,
} from '../../src/analytics/clickhouse-sql.js';

const INJECTIONS = [
  "' OR 1=1 --",
  "'; DROP TABLE events; --",
  "\\'",
  "\\' OR 1=1 --",
  '\\',
  "\\\\'",
  '\0',
  "\0' OR '1'='1",
  '\\x27',
  '\\N',
  "''",
  "'''",
  '`; SELECT 1 --',
  '" OR ""="',
  '{p:String}',
  '/* comment */',
  '-- comment\n',
  '\r\n\t\u000b\u000c\u001b\u007f',
];

/**
 * A model of how ClickHouse reads a single-quoted literal (parseComplexEscapeSequence): returns the
 * decoded bytes and where the literal ended, so a test can check that the literal ends exactly at
 * the last character of the escaped text.
 */
function readQuotedLiteral(sql: string): { bytes: Buffer; end: number } {
  const input = Buffer.from(sql, 'utf8');
  if (input[0] !== 0x27) throw new Error('literal must start with a quote');
  const out: number[] = [];
  let i = 1;
  for (;;) {
    const byte = input[i];
    if (byte === undefined) throw new Error('unterminated literal');
    if (byte === 0x27) {
      if (input[i + 1] === 0x27) {
        out.push(0x27);
        i += 2;
        continue;
      }
      return { bytes: Buffer.from(out), end: i + 1 === input.length ? sql.length : -1 };
    }
    if (byte === 0x5c) {
      const next = input[i + 1];
      if (next === undefined) throw new Error('dangling backslash');
      if (next === 0x78) {
        const hex = input.subarray(i + 2, i + 4).toString('latin1');
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad \\x escape: ${hex}`);
        out.push(Number.parseInt(hex, 16));
        i += 4;
        continue;
      }
      // Only \\ and \' are emitted; anything else would be decoded differently by 18.16 and 26.x.
      if (next !== 0x5c && next !== 0x27) throw new Error(`unexpected escape \\${String.fromCharCode(next)}`);
      out.push(next);
      i += 2;
      continue;
    }
    out.push(byte);
    i += 1;
  }
}

function decodes(sql: string, expected: string): void {
  const { bytes, end } = readQuotedLiteral(sql);
  expect(end).toBe(sql.length);
  expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
}

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'binary-ascii', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 32 }),
  fc.constantFrom(...INJECTIONS),
  fc.array(fc.constantFrom("'", '\\', '\0', 'x', '\n', '-', ' ', '`', '"', 'é', '😀'), { maxLength: 24 }).map((parts) => parts.join('')),
);

describe('sqlString', () => {
  it('quotes plain text', () => {
    expect(sqlString('')).toBe("''");
    expect(sqlString('abc')).toBe("'abc'");
  });

  it('escapes quotes and backslashes with a backslash', () => {
    expect(sqlString("it's")).toBe("'it\\'s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString("\\'")).toBe("'\\\\\\''");
  });

  it('writes NUL, control characters and DEL as \\xHH', () => {
    expect(sqlString('\0')).toBe("'\\x00'");
    expect(sqlString('a\nb\tc\r')).toBe("'a\\x0Ab\\x09c\\x0D'");
    expect(sqlString('\u001f\u007f')).toBe("'\\x1F\\x7F'");
  });

  it('passes non-ASCII text through as raw UTF-8', () => {
    expect(sqlString('é日本😀\u2028')).toBe("'é日本😀\u2028'");
  });

  it('turns lone surrogates into U+FFFD, as inserts store them', () => {
    expect(sqlString('a\uD800b')).toBe("'a\uFFFDb'");
    expect(sqlString('\uDC00')).toBe("'\uFFFD'");
    expect(sqlString('\uD83D\uDE00')).toBe("'😀'");
    expect(toWellFormed('x\uDBFF')).toBe('x\uFFFD');
  });

  it('neutralises injection attempts', () => {
    expect(sqlString("' OR 1=1 --")).toBe("'\\' OR 1=1 --'");
    expect(sqlString("\\' OR 1=1 --")).toBe("'\\\\\\' OR 1=1 --'");
    for (const attempt of INJECTIONS) decodes(sqlString(attempt), attempt);
  });

  it('handles very long strings', () => {
    const long = "x'\\\0é".repeat(200_000);
    const sql = sqlString(long);
    decodes(sql, long);
  });

  it('rejects non-strings', () => {
    expect(() => sqlString(1 as unknown as string)).toThrow(SqlLiteralError);
  });

  it('property: the literal decodes to exactly the input and ends at its last character', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        decodes(sqlString(s), s);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: no raw control character, and no quote that is not escaped', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const body = sqlString(s).slice(1, -1);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none.
        expect(/[\u0000-\u001F\u007F]/.test(body)).toBe(false);
        // Remove escape pairs; what is left must contain no quote and no backslash.
        const rest = body.replace(/\\x[0-9A-F]{2}|\\\\|\\'/g, '');
        expect(rest.includes("'")).toBe(false);
        expect(rest.includes('\\')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('sqlNumber', () => {
  it('writes integers as integers', () => {
    expect(sqlNumber(0)).toBe('0');
    expect(sqlNumber(-0)).toBe('0');
    expect(sqlNumber(42)).toBe('42');
    expect(sqlNumber(1_700_000_000_123)).toBe('1700000000123');
    expect(sqlNumber(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it('parenthesises negatives so x-<n> never becomes a -- comment', () => {
    expect(sqlNumber(-5)).toBe('(-5)');
    expect(`x-${sqlNumber(-5)}`).toBe('x-(-5)');
    expect(sqlNumber(-1.5)).toBe('(-1.5)');
  });

  it('writes other finite numbers in shortest round-trip form', () => {
    expect(sqlNumber(1.5)).toBe('1.5');
    expect(sqlNumber(1e-7)).toBe('1e-7');
    expect(sqlNumber(1.5e-300)).toBe('1.5e-300');
    expect(sqlNumber(123456.789)).toBe('123456.789');
  });

  it('rejects NaN, infinities and integers beyond 2^53', () => {
    expect(() => sqlNumber(Number.NaN)).toThrow(SqlLiteralError);
    expect(() => sqlNumber(Number.POSITIVE_INFINITY)).toThrow(SqlLiteralError);
    expect(() => sqlNumber(Number.NEGATIVE_INFINITY)).toThrow(SqlLiteralError);
    expect(() => sqlNumber(2 ** 53)).toThrow(SqlLiteralError);
    expect(() => sqlNumber(1e21)).toThrow(SqlLiteralError);
    // Every double of magnitude 2^53 or more is an integer, so large floats are refused too.
    expect(() => sqlNumber(1.5e300)).toThrow(SqlLiteralError);
  });

  it('rejects subnormal numbers, which ClickHouse 18.16 cannot parse', () => {
    expect(() => sqlNumber(5e-324)).toThrow(SqlLiteralError);
    expect(() => sqlNumber(-1e-310)).toThrow(SqlLiteralError);
    expect(sqlNumber(2.2250738585072014e-308)).toBe('2.2250738585072014e-308');
  });

  it('accepts 64-bit bigints', () => {
    expect(sqlNumber(9223372036854775807n)).toBe('9223372036854775807');
    expect(sqlNumber(-9223372036854775808n)).toBe('(-9223372036854775808)');
    expect(sqlNumber(18446744073709551615n)).toBe('18446744073709551615');
    expect(() => sqlNumber(18446744073709551616n)).toThrow(SqlLiteralError);
    expect(() => sqlNumber(-9223372036854775809n)).toThrow(SqlLiteralError);
  });

  it('rejects strings that look like numbers', () => {
    expect(() => sqlNumber('1 OR 1=1' as unknown as number)).toThrow(SqlLiteralError);
  });

  it('property: output is a plain numeric token, parenthesised when negative', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true })), (n) => {
        fc.pre(Math.abs(n) <= Number.MAX_SAFE_INTEGER && (n === 0 || Math.abs(n) >= 2 ** -1022));
        expect(sqlNumber(n)).toMatch(/^(\d+(\.\d+)?(e[+-]\d+)?|\(-\d+(\.\d+)?(e[+-]\d+)?\))$/);
      }),
    );
  });
});

describe('sqlBool, sqlValue, sqlStringList', () => {
  it('writes booleans as UInt8', () => {
    expect(sqlBool(true)).toBe('1');
    expect(sqlBool(false)).toBe('0');
    expect(() => sqlBool('true' as unknown as boolean)).toThrow(SqlLiteralError);
  });

  it('dispatches on type, with NULL for null', () => {
    expect(sqlValue(null)).toBe('NULL');
    expect(sqlValue('a')).toBe("'a'");
    expect(sqlValue(3)).toBe('3');
    expect(sqlValue(true)).toBe('1');
    expect(sqlValue(5n)).toBe('5');
  });

  it('writes IN lists and refuses empty ones', () => {
    expect(sqlStringList(['a'])).toBe("('a')");
    expect(sqlStringList(['a', "b'c"])).toBe("('a', 'b\\'c')");
    expect(() => sqlStringList([])).toThrow(SqlLiteralError);
  });
});

describe('identifiers', () => {
  const columns = ['event_id', 'ts_millis'] as const;

  it('quotes whitelisted names only', () => {
    expect(sqlIdentifier('event_id', columns)).toBe('`event_id`');
    expect(sqlIdentifier('ts_millis', new Set(columns))).toBe('`ts_millis`');
    expect(() => sqlIdentifier('password', columns)).toThrow(SqlLiteralError);
    expect(() => sqlIdentifier('event_id`; DROP', columns)).toThrow(SqlLiteralError);
  });

  it('refuses a whitelist entry that is not a plain name', () => {
    expect(() => sqlIdentifier('a`b', ['a`b'])).toThrow(SqlLiteralError);
  });

  it('accepts configured names only when plain', () => {
    expect(sqlConfiguredIdentifier('delivr_test_1')).toBe('`delivr_test_1`');
    for (const bad of ['', '1abc', 'a-b', 'a.b', 'a`b', 'a b', 'é']) {
      expect(() => sqlConfiguredIdentifier(bad)).toThrow(SqlLiteralError);
    }
  });
});

const serverUrl = process.env.CLICKHOUSE_URL;
if (!serverUrl) {
  console.info('clickhouse-sql: server round-trip tests skipped (set CLICKHOUSE_URL to run them)');
}

describe.skipIf(!serverUrl)('round trip through a real ClickHouse server', () => {
  let client: ClickHouseClient;

  beforeAll(() => {
    const url = new URL(serverUrl ?? 'http://127.0.0.1:8123');
    url.pathname = '/';
    client = createClient({
      url: url.toString(),
      // Room for the very long literals below (18.16's default is 256 KiB).
      clickhouse_settings: { max_query_size: '67108864' },
    });
  });

  afterAll(async () => {
    await client?.close();
  });

  async function selectString(literal: string): Promise<{ s: string; h: string }> {
    const result = await client.query({ query: `SELECT ${literal} AS s, hex(s) AS h`, format: 'JSONEachRow' });
    const rows = await result.json<{ s: string; h: string }>();
    const row = rows[0];
    if (!row) throw new Error('no row');
    return row;
  }

  async function roundTrips(s: string): Promise<void> {
    const expected = toWellFormed(s);
    const row = await selectString(sqlString(s));
    expect(row.h).toBe(Buffer.from(expected, 'utf8').toString('hex').toUpperCase());
    expect(row.s).toBe(expected);
  }

  it('reads back injection attempts unchanged', async () => {
    for (const attempt of INJECTIONS) await roundTrips(attempt);
    const result = await client.query({
      query: `SELECT count() AS c FROM system.one WHERE 'x' = ${sqlString("' OR 1=1 --")}`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ c: '0' }]);
  });

  it('reads back every byte value below 0x80 and lone surrogates as U+FFFD', async () => {
    let all = '';
    for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c);
    await roundTrips(all);
    await roundTrips('a\uD800b\uDFFF');
  });

  it('reads back a 1 MB string', async () => {
    await roundTrips("é'\\\0x😀".repeat(100_000));
  });

  it('property: SELECT <escaped s> returns exactly s', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, async (s) => {
        await roundTrips(s);
      }),
      { numRuns: 300 },
    );
  });

  it('property: integers and booleans come back as the same values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.maxSafeInteger(), fc.boolean(), async (n, b) => {
        const result = await client.query({
          query: `SELECT toString(${sqlNumber(n)}) AS n, ${sqlBool(b)} AS b`,
          format: 'JSONEachRow',
        });
        expect(await result.json()).toEqual([{ n: String(n), b: b ? 1 : 0 }]);
      }),
      { numRuns: 200 },
    );
  });

  it('property: finite normal numbers come back bit for bit', async () => {
    const numbers = fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .filter((n) => Math.abs(n) <= Number.MAX_SAFE_INTEGER && (n === 0 || Math.abs(n) >= 2 ** -1022));
    await fc.assert(
      fc.asyncProperty(numbers, async (n) => {
        const result = await client.query({
          query: `SELECT hex(reinterpretAsString(toFloat64(${sqlNumber(n)}))) AS h`,
          format: 'JSONEachRow',
        });
        const bits = Buffer.alloc(8);
        bits.writeDoubleLE(n === 0 ? 0 : n);
        // reinterpretAsString drops trailing zero bytes.
        const expected = bits
          .toString('hex')
          .toUpperCase()
          .replace(/(00)+$/, '');
        expect(await result.json()).toEqual([{ h: expected }]);
      }),
      { numRuns: 300 },
    );
  });

  it('IN lists match exactly their members', async () => {
    const members = ["a'b", 'c\\', '\0', 'é'];
    const result = await client.query({
      query: `SELECT ${sqlString("a'b")} IN ${sqlStringList(members)} AS yes, 'a' IN ${sqlStringList(members)} AS no`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ yes: 1, no: 0 }]);
  });
});
