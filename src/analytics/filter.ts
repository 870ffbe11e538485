// Delivr's `filter`, `select` and `distinct` query grammar, parsed once at the HTTP edge into the
// engine-neutral `Filter` type, plus the typed operands every analytics adapter binds. Keeping the
// value typing here means DuckDB and ClickHouse cannot disagree on what `screen_width:gt:9` means.
//
// Grammar: `<field>:<op>[:<value>]`, `,` = AND, `|` = OR, AND binding tighter than OR.
// - A value runs to the next unquoted `,` or `|`, so it may contain `:` (URLs).
// - A value starting with `"` is quoted: it may contain `,` `|` `:`; inside it `\"` is a quote and
//   `\\` a backslash; any other backslash is kept as written (LIKE escapes survive).
// - Unquoted `null` is the null literal (only with eq / ne); `"null"` is the four-letter string.
// - `not_null` takes no value; one given anyway is ignored.
// - Matching follows SQL: a NULL cell matches nothing but `eq:null`, `ne:null` and its absence in
//   `not_null`, so `url:ne:x` does not return rows without a url.
// - `like` patterns use `%` and `_`, with `\` escaping them (ClickHouse's default; DuckDB is told so).
//   A `\` escapes only `%`, `_` or `\`, and a pattern holds at most LIKE_LIMITS.wildcards wildcards:
//   DuckDB's LIKE backtracks, so `%_%_%_zz` took seconds per 20,000 rows (it now runs LIKE as an
//   RE2 regular expression, linear in the text; the bounds keep every engine's work predictable:
//   at most LIKE_LIMITS.conditions like conditions per filter).

import {
  type ArrowType,
  type Condition,
  EVENT_FIELDS,
  type FieldName,
  type Filter,
  type FilterOp,
  QUERY_FIELDS,
  type StoredFieldName,
} from './types.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export const FILTER_LIMITS = {
  maxConditions: 50,
  maxValueLength: 2000,
  /** Bounds the work before the per-condition limits are reached. */
  maxInputLength: 128 * 1024,
} as const;

export const LIKE_LIMITS = {
  /** Most `%` and `_` wildcards in one like pattern. */
  wildcards: 16,
  /** Most like conditions in one filter: each is a regular-expression match of every row scanned. */
  conditions: 10,
} as const;

export const FILTER_OPS: readonly FilterOp[] = ['eq', 'ne', 'like', 'not_null', 'gt', 'gte', 'lt', 'lte'];
const ORDER_OPS: ReadonlySet<FilterOp> = new Set(['gt', 'gte', 'lt', 'lte']);

export const FIELD_TYPES: ReadonlyMap<string, ArrowType> = new Map(QUERY_FIELDS.map((f) => [f.name, f.data_type]));

export function isFieldName(name: string): name is FieldName {
  return FIELD_TYPES.has(name);
}

const STORED_NAMES: ReadonlySet<string> = new Set(EVENT_FIELDS.map((f) => f.name));

/** Whether `name` is a stored event column (not one resolution adds). */
export function isStoredFieldName(name: string): name is StoredFieldName {
  return STORED_NAMES.has(name);
}

export function isFilterOp(op: string): op is FilterOp {
  return (FILTER_OPS as readonly string[]).includes(op);
}

const INT_RANGE: Record<'Int32' | 'Int64', readonly [number, number]> = {
  Int32: [-2147483648, 2147483647],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** What an adapter binds for one condition; `null` operands are already turned into IS [NOT] NULL. */
export type Operand =
  | { kind: 'is_null' }
  | { kind: 'is_not_null' }
  | { kind: 'text'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean };

/**
 * Checks one condition against its field's type and returns its value in canonical form
 * (integers without leading zeros, booleans lowercase) so formatting and comparing are stable.
 */
export function checkCondition(field: string, op: string, value: string | null): ParseResult<Condition> {
  const type = FIELD_TYPES.get(field);
  if (!type || !isFieldName(field)) return fail(`unknown field "${field}"`);
  if (!isFilterOp(op)) return fail(`unknown operator "${op}" (expected one of ${FILTER_OPS.join(', ')})`);
  if (op === 'not_null') return { ok: true, value: { field, op, value: null } };
  if (value === null) {
    if (op === 'eq' || op === 'ne') return { ok: true, value: { field, op, value: null } };
    return fail(`null can only be compared with eq or ne (field "${field}", operator ${op})`);
  }
  if (value.length > FILTER_LIMITS.maxValueLength) {
    return fail(`value for "${field}" is longer than ${FILTER_LIMITS.maxValueLength} characters`);
  }
  if (op === 'like' && type !== 'Utf8') return fail(`like applies to text fields only, "${field}" is ${type}`);
  if (op === 'like') {
    const bad = checkLikePattern(value);
    if (bad) return fail(`like pattern for "${field}": ${bad}`);
  }
  switch (type) {
    case 'Utf8':
      return { ok: true, value: { field, op, value } };
    case 'Boolean': {
      if (ORDER_OPS.has(op)) return fail(`operator ${op} does not apply to the boolean field "${field}"`);
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') return fail(`"${field}" is boolean: expected true or false, got "${value}"`);
      return { ok: true, value: { field, op, value: lower } };
    }
    case 'Int32':
    case 'Int64': {
      if (!/^-?\d{1,16}$/.test(value)) return fail(`"${field}" is an integer: expected digits, got "${value}"`);
      const n = Number(value);
      const [min, max] = INT_RANGE[type];
      if (n < min || n > max) return fail(`"${field}" value ${value} is out of range`);
      return { ok: true, value: { field, op, value: String(n) } };
    }
  }
}

/** Why a like pattern is refused, or null: escapes must escape something, and wildcards are bounded. */
export function checkLikePattern(pattern: string): string | null {
  let wildcards = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return 'it ends with a lone \\ (write \\\\ for a backslash)';
      if (next !== '%' && next !== '_' && next !== '\\') return `\\ escapes only %, _ and \\, not "${next}"`;
      i += 1;
    } else if (ch === '%' || ch === '_') {
      wildcards += 1;
    }
  }
  if (wildcards > LIKE_LIMITS.wildcards) return `more than ${LIKE_LIMITS.wildcards} wildcards (% and _)`;
  return null;
}

/**
 * A like pattern as an RE2 regular expression matching the whole text: `%` any run of characters,
 * `_` one character (newlines included), escaped and literal characters as themselves (ASCII
 * punctuation and controls as `\x{..}`). RE2 matches in time linear in the text, whatever the pattern.
 */
export function likeToRegex(pattern: string): string {
  let re = '(?s)';
  for (let i = 0; i < pattern.length; i++) {
    let ch = pattern[i] as string;
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else {
      if (ch === '\\' && i + 1 < pattern.length) ch = pattern[++i] as string;
      const code = ch.charCodeAt(0);
      re += code > 0x7f || /[A-Za-z0-9]/.test(ch) ? ch : `\\x{${code.toString(16)}}`;
    }
  }
  return re;
}

type LikeToken = { kind: 'any' } | { kind: 'one' } | { kind: 'char'; ch: string };

function likeTokens(pattern: string): LikeToken[] {
  const chars = Array.from(pattern);
  const out: LikeToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '%') out.push({ kind: 'any' });
    else if (ch === '_') out.push({ kind: 'one' });
    else if (ch === '\\' && i + 1 < chars.length) out.push({ kind: 'char', ch: chars[++i] as string });
    else out.push({ kind: 'char', ch });
  }
  return out;
}

/**
 * Whether `text` matches the like pattern, in memory (lookup's filter). Greedy matching that only
 * ever returns to the latest `%`: O(text × pattern) at worst, never the exponential backtracking a
 * translated JavaScript regular expression would do. Characters are code points, as in the engines.
 */
export function likeMatch(pattern: string, text: string): boolean {
  const p = likeTokens(pattern);
  const t = Array.from(text);
  let ti = 0;
  let pi = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    const tok = p[pi];
    if (tok && (tok.kind === 'one' || (tok.kind === 'char' && tok.ch === t[ti]))) {
      ti += 1;
      pi += 1;
    } else if (tok?.kind === 'any') {
      star = pi;
      pi += 1;
      resume = ti;
    } else if (star >= 0) {
      pi = star + 1;
      resume += 1;
      ti = resume;
    } else {
      return false;
    }
  }
  while (p[pi]?.kind === 'any') pi += 1;
  return pi === p.length;
}

/** The typed operand of a condition produced by `parseFilter` or `checkFilter`. */
export function operandOf(c: Condition): Operand {
  if (c.op === 'not_null') return { kind: 'is_not_null' };
  if (c.value === null) return c.op === 'ne' ? { kind: 'is_not_null' } : { kind: 'is_null' };
  switch (FIELD_TYPES.get(c.field)) {
    case 'Boolean':
      return { kind: 'bool', value: c.value === 'true' };
    case 'Int32':
    case 'Int64':
      return { kind: 'int', value: Number(c.value) };
    default:
      return { kind: 'text', value: c.value };
  }
}

/**
 * Validates a `Filter` built in code rather than parsed (adapters call this, since a field name
 * reaching SQL must come from the whitelist whatever the caller's types claimed). The default limit
 * leaves room for the bot exclusion the Events API adds to each of up to maxConditions groups.
 */
export function checkFilter(filter: Filter, maxConditions: number = FILTER_LIMITS.maxConditions * 2): ParseResult<Filter> {
  const out: Filter = [];
  let count = 0;
  let likes = 0;
  for (const group of filter) {
    if (group.length === 0) return fail('empty AND-group');
    const checked: Condition[] = [];
    for (const c of group) {
      count += 1;
      if (count > maxConditions) return fail(`more than ${maxConditions} conditions`);
      if (c.op === 'like' && ++likes > LIKE_LIMITS.conditions) return fail(`more than ${LIKE_LIMITS.conditions} like conditions`);
      const r = checkCondition(c.field, c.op, c.value);
      if (!r.ok) return r;
      checked.push(r.value);
    }
    out.push(checked);
  }
  return { ok: true, value: out };
}

/** Parses a `filter` parameter. The empty string is the empty filter (matches everything). */
export function parseFilter(input: string): ParseResult<Filter> {
  return parseConditions(input, checkCondition);
}

/** Checks one parsed `<field>:<op>[:<value>]` against a field set and returns it typed. */
export type ConditionCheck<C> = (field: string, op: string, value: string | null) => ParseResult<C>;

/**
 * The grammar over any set of fields (the traffic stats filter on their own properties): the
 * parse of parseFilter with `check` deciding what a field and its value may be.
 */
export function parseConditions<C extends { op: string }>(input: string, check: ConditionCheck<C>): ParseResult<C[][]> {
  if (input.length > FILTER_LIMITS.maxInputLength) return fail(`filter is longer than ${FILTER_LIMITS.maxInputLength} characters`);
  if (input.trim() === '') return { ok: true, value: [] };
  const groups: C[][] = [];
  let group: C[] = [];
  let count = 0;
  let likes = 0;
  let pos = 0;
  for (;;) {
    count += 1;
    if (count > FILTER_LIMITS.maxConditions) return fail(`more than ${FILTER_LIMITS.maxConditions} conditions`);
    const parsed = parseCondition(input, pos, count, check);
    if (!parsed.ok) return parsed;
    if (parsed.value.condition.op === 'like') likes += 1;
    if (likes > LIKE_LIMITS.conditions) return fail(`more than ${LIKE_LIMITS.conditions} like conditions`);
    group.push(parsed.value.condition);
    pos = parsed.value.end;
    if (pos >= input.length) break;
    const sep = input[pos];
    pos += 1;
    if (sep === '|') {
      groups.push(group);
      group = [];
    }
    if (pos >= input.length) return fail(`condition ${count + 1}: missing after "${sep}"`);
  }
  groups.push(group);
  return { ok: true, value: groups };
}

interface ParsedCondition<C> {
  condition: C;
  /** Index of the separator that ended the condition, or input.length. */
  end: number;
}

function parseCondition<C>(input: string, start: number, n: number, check: ConditionCheck<C>): ParseResult<ParsedCondition<C>> {
  const where = `condition ${n}`;
  const fieldEnd = indexOfAny(input, start, ':,|');
  const field = input.slice(start, fieldEnd).trim();
  if (field === '') return fail(`${where}: missing field name`);
  if (fieldEnd >= input.length || input[fieldEnd] !== ':')
    return fail(`${where}: expected <field>:<op>:<value>, got "${clip(input.slice(start, fieldEnd))}"`);
  const opStart = fieldEnd + 1;
  const opEnd = indexOfAny(input, opStart, ':,|');
  const op = input.slice(opStart, opEnd).trim().toLowerCase();
  if (op === '') return fail(`${where}: missing operator after "${clip(field)}"`);
  const hasValue = opEnd < input.length && input[opEnd] === ':';

  let raw: string | null;
  let end: number;
  if (!hasValue) {
    raw = null;
    end = opEnd;
  } else if (input[opEnd + 1] === '"') {
    const q = readQuoted(input, opEnd + 2);
    if (!q.ok) return fail(`${where}: ${q.error}`);
    raw = q.value.text;
    end = q.value.end;
    if (end < input.length && input[end] !== ',' && input[end] !== '|') {
      return fail(`${where}: unexpected text after the closing quote`);
    }
  } else {
    end = indexOfAny(input, opEnd + 1, ',|');
    raw = input.slice(opEnd + 1, end);
    if (raw === 'null') raw = null;
    else if (raw === '' && op !== 'not_null') return fail(`${where}: missing value for "${clip(field)}" (write "" for the empty string)`);
  }
  if (!hasValue && op !== 'not_null') return fail(`${where}: missing value for "${clip(field)}" ${clip(op)}`);

  const checked = check(field, op, raw);
  if (!checked.ok) return fail(`${where}: ${checked.error}`);
  return { ok: true, value: { condition: checked.value, end } };
}

/** Reads a quoted value whose opening quote precedes `start`; `end` is just past the closing quote. */
function readQuoted(input: string, start: number): ParseResult<{ text: string; end: number }> {
  let text = '';
  let i = start;
  while (i < input.length) {
    const ch = input[i];
    if (ch === '"') return { ok: true, value: { text, end: i + 1 } };
    if (ch === '\\') {
      const next = input[i + 1];
      if (next === '"' || next === '\\') {
        text += next;
        i += 2;
        continue;
      }
    }
    text += ch;
    i += 1;
  }
  return fail('unterminated quoted value');
}

function indexOfAny(s: string, from: number, chars: string): number {
  for (let i = from; i < s.length; i++) {
    if (chars.includes(s[i] ?? '')) return i;
  }
  return s.length;
}

/** Values that read back unchanged without quotes; everything else is quoted. */
const BARE_VALUE = /^[A-Za-z0-9_.:/@%+~-]+$/;

/** Writes a filter in the grammar `parseFilter` reads; `parseFilter(formatFilter(f))` gives f back. */
export function formatFilter(filter: Filter): string {
  return filter.map((group) => group.map(formatCondition).join(',')).join('|');
}

function formatCondition(c: Condition): string {
  if (c.op === 'not_null') return `${c.field}:not_null`;
  return `${c.field}:${c.op}:${formatValue(c.value)}`;
}

function formatValue(value: string | null): string {
  if (value === null) return 'null';
  if (value !== 'null' && BARE_VALUE.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

/** Parses a comma-separated `select` / `distinct` list; duplicates are dropped, order kept. */
export function parseFieldList(csv: string): ParseResult<FieldName[]> {
  if (csv.length > 4096) return fail('field list is too long');
  const names: FieldName[] = [];
  for (const part of csv.split(',')) {
    const name = part.trim();
    if (name === '') return fail('empty field name in list');
    if (!isFieldName(name)) return fail(`unknown field "${clip(name)}"`);
    if (!names.includes(name)) names.push(name);
  }
  return { ok: true, value: names };
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

/** Keeps echoed user input short in error messages. */
function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Width of the time buckets adapters count by (UTC hours and days). */
export const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/** For adapters: field names reaching SQL must come from QUERY_FIELDS, whatever the caller's types claimed. */
export function checkFields(names: readonly string[], what: string): FieldName[] {
  if (names.length === 0) throw new Error(`${what} is empty`);
  return names.map((name) => {
    if (!isFieldName(name)) throw new Error(`${what}: unknown field "${name}"`);
    return name;
  });
}

export function fieldName(name: string): FieldName {
  if (!isFieldName(name)) throw new Error(`unknown field "${name}"`);
  return name;
}
