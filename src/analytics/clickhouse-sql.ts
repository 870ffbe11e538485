// The one place where values become ClickHouse SQL text. ClickHouse 18.16 (Debian's package) has no
// server-side query parameters, so every value in a query is a literal written here; nothing else
// in the code base may splice a value into SQL. Each function either returns a literal the server
// reads back as exactly that value, or throws.
//
// String literals use only the escapes that 18.16 and current ClickHouse decode the same way
// (`\\`, `\'`, `\xHH`); `\u` escapes do not exist in ClickHouse and other characters are sent as
// raw UTF-8.

import { createHash } from 'node:crypto';

/** A value that cannot be written as a ClickHouse literal (NaN, an unknown identifier, ...). */
export class SqlLiteralError extends Error {
  override readonly name = 'SqlLiteralError';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Replaces unpaired UTF-16 surrogates with U+FFFD, as any UTF-8 encoder does. ClickHouse stores
 * UTF-8 and rejects a JSON `\ud800` on insert, so inserts and filters both pass strings through
 * this to agree on what is stored.
 */
export function toWellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD');
}

// Backslash, quote, ASCII control characters and DEL. Everything else goes through raw.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const NEEDS_ESCAPE = /[\\'\u0000-\u001F\u007F]/g;

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\';
  if (ch === "'") return "\\'";
  return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`;
}

/** A single-quoted String literal. */
export function sqlString(value: string): string {
  if (typeof value !== 'string') throw new SqlLiteralError(`expected a string, got ${typeof value}`);
  return `'${toWellFormed(value).replace(NEEDS_ESCAPE, escapeChar)}'`;
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const MIN_NORMAL = 2 ** -1022;

/**
 * A numeric literal. Integers are written as integers (only safe ones: a larger number has already
 * lost precision), other finite normal numbers in JavaScript's shortest round-trip form, which the
 * server reads back bit for bit. Negative values are
 * parenthesised so that `x-${n}` can never turn into a `--` comment.
 */
export function sqlNumber(value: number | bigint): string {
  let text: string;
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > UINT64_MAX) {
      throw new SqlLiteralError(`integer out of 64-bit range: ${value}`);
    }
    text = value.toString();
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SqlLiteralError(`not a finite number: ${value}`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new SqlLiteralError(`integer beyond 2^53 loses precision: ${value}`);
    }
    // ClickHouse 18.16's parser rejects subnormal literals (a syntax error, measured).
    if (value !== 0 && Math.abs(value) < MIN_NORMAL) {
      throw new SqlLiteralError(`subnormal number is not readable by ClickHouse: ${value}`);
    }
    // String(-0) is "0"; String(1e-7) is "1e-7", which ClickHouse reads as a Float64.
    text = String(value);
  } else {
    throw new SqlLiteralError(`expected a number, got ${typeof value}`);
  }
  return text.startsWith('-') ? `(${text})` : text;
}

/** Booleans are stored as UInt8. */
export function sqlBool(value: boolean): string {
  if (typeof value !== 'boolean') throw new SqlLiteralError(`expected a boolean, got ${typeof value}`);
  return value ? '1' : '0';
}

/** `NULL` or the literal for a string, number or boolean. */
export function sqlValue(value: string | number | bigint | boolean | null): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'string':
      return sqlString(value);
    case 'boolean':
      return sqlBool(value);
    default:
      return sqlNumber(value);
  }
}

/**
 * A parenthesised list of string literals for `IN`. ClickHouse has no empty `IN ()`, so an empty
 * list throws: callers decide what "none allowed" means before they build a query.
 */
export function sqlStringList(values: readonly string[]): string {
  if (values.length === 0) throw new SqlLiteralError('an IN list needs at least one value');
  return `(${values.map(sqlString).join(', ')})`;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A back-quoted identifier, only if `name` is in `allowed`. Identifiers never come from requests
 * without passing a whitelist; the pattern check keeps a bad whitelist from becoming an injection.
 */
export function sqlIdentifier<T extends string>(name: string, allowed: ReadonlySet<T> | readonly T[]): string {
  const permitted = Array.isArray(allowed) ? (allowed as readonly string[]).includes(name) : (allowed as ReadonlySet<string>).has(name);
  if (!permitted) throw new SqlLiteralError(`identifier not allowed: ${JSON.stringify(name)}`);
  return quotePlainIdentifier(name);
}

/**
 * A back-quoted identifier that comes from configuration (a database or table name), not from a
 * request: accepted only when it is a plain `[A-Za-z_][A-Za-z0-9_]*` name.
 */
export function sqlConfiguredIdentifier(name: string): string {
  return quotePlainIdentifier(name);
}

function quotePlainIdentifier(name: string): string {
  if (!PLAIN_IDENTIFIER.test(name)) {
    throw new SqlLiteralError(`not a plain identifier: ${JSON.stringify(name)}`);
  }
  return `\`${name}\``;
}

/**
 * A row key for ids that rollup rows would otherwise carry as text: the first 64 bits of a SHA-256 of
 * them, as a UInt64 literal. 18.16 evaluates a read's WHERE on every row of the granules its primary
 * key selects, and comparing two or three 36-character ids per row was half of a rollup read; a
 * row of other ids matches only with the same 64 bits (and the generation the read asks for).
 */
export function sqlRowKey(...ids: string[]): string {
  const key = createHash('sha256').update(JSON.stringify(ids)).digest().readBigUInt64BE(0);
  return `toUInt64('${key.toString()}')`;
}
