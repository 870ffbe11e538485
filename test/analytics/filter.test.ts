// The filter / select / distinct grammar: what parses to what, what fails and why, and a property
// test that anything the formatter writes parses back unchanged.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkFilter,
  checkLikePattern,
  FILTER_LIMITS,
  formatFilter,
  LIKE_LIMITS,
  likeMatch,
  likeToRegex,
  operandOf,
  type ParseResult,
  parseFieldList,
  parseFilter,
} from '../../src/analytics/filter.js';
import { type Condition, EVENT_FIELDS, type FieldName, type Filter, type FilterOp } from '../../src/analytics/types.js';

function ok<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got: ${r.error}`);
  return r.value;
}

function err<T>(r: ParseResult<T>): string {
  if (r.ok) throw new Error(`expected failure, got ${JSON.stringify(r.value)}`);
  return r.error;
}

const c = (field: FieldName, op: FilterOp, value: string | null): Condition => ({ field, op, value });

describe('parseFilter', () => {
  it('reads one condition', () => {
    expect(ok(parseFilter('event_type:eq:page_view'))).toEqual([[c('event_type', 'eq', 'page_view')]]);
  });

  it('binds AND tighter than OR', () => {
    expect(ok(parseFilter('browser:eq:1,os:eq:2|event_type:eq:3'))).toEqual([
      [c('browser', 'eq', '1'), c('os', 'eq', '2')],
      [c('event_type', 'eq', '3')],
    ]);
    expect(ok(parseFilter('browser:eq:1|os:eq:2,event_type:eq:3|title:eq:4'))).toEqual([
      [c('browser', 'eq', '1')],
      [c('os', 'eq', '2'), c('event_type', 'eq', '3')],
      [c('title', 'eq', '4')],
    ]);
  });

  it('treats the empty string as no filter', () => {
    expect(ok(parseFilter(''))).toEqual([]);
    expect(ok(parseFilter('   '))).toEqual([]);
  });

  it('keeps colons in unquoted values (URLs)', () => {
    expect(ok(parseFilter('url:eq:https://a.b/c?d=e:f'))).toEqual([[c('url', 'eq', 'https://a.b/c?d=e:f')]]);
    expect(ok(parseFilter('ip:eq:2001:db8::1,os:eq:x'))).toEqual([[c('ip', 'eq', '2001:db8::1'), c('os', 'eq', 'x')]]);
  });

  it('reads quoted values with separators and escapes inside', () => {
    expect(ok(parseFilter('title:eq:"a,b|c:d"'))).toEqual([[c('title', 'eq', 'a,b|c:d')]]);
    expect(ok(parseFilter('title:eq:"say \\"hi\\""'))).toEqual([[c('title', 'eq', 'say "hi"')]]);
    expect(ok(parseFilter('title:eq:"back\\\\slash"'))).toEqual([[c('title', 'eq', 'back\\slash')]]);
    // A backslash before anything else stays, so LIKE escapes pass through quoting untouched.
    expect(ok(parseFilter('title:like:"100\\%"'))).toEqual([[c('title', 'like', '100\\%')]]);
    expect(ok(parseFilter('title:eq:"a",os:eq:b'))).toEqual([[c('title', 'eq', 'a'), c('os', 'eq', 'b')]]);
  });

  it('reads Delivr documented examples', () => {
    expect(ok(parseFilter('resolved:eq:true'))).toEqual([[c('resolved', 'eq', 'true')]]);
    expect(ok(parseFilter('resolved:eq:"true"'))).toEqual([[c('resolved', 'eq', 'true')]]);
    expect(ok(parseFilter('hem_sha256:ne:null'))).toEqual([[c('hem_sha256', 'ne', null)]]);
    expect(ok(parseFilter('utm_source:ne:""'))).toEqual([[c('utm_source', 'ne', '')]]);
  });

  it('distinguishes the null literal from the string "null"', () => {
    expect(ok(parseFilter('url:eq:null'))).toEqual([[c('url', 'eq', null)]]);
    expect(ok(parseFilter('url:eq:"null"'))).toEqual([[c('url', 'eq', 'null')]]);
    expect(ok(parseFilter('url:eq:nullable'))).toEqual([[c('url', 'eq', 'nullable')]]);
    expect(err(parseFilter('url:like:null'))).toMatch(/null can only be compared with eq or ne/);
    expect(err(parseFilter('screen_width:gt:null'))).toMatch(/null/);
  });

  it('accepts not_null with no value, an empty one, or one it ignores', () => {
    for (const f of ['url:not_null', 'url:not_null:', 'url:not_null:true', 'url:NOT_NULL']) {
      expect(ok(parseFilter(f))).toEqual([[c('url', 'not_null', null)]]);
    }
    expect(ok(parseFilter('url:not_null,os:eq:x'))).toEqual([[c('url', 'not_null', null), c('os', 'eq', 'x')]]);
  });

  it('checks values against the field type and canonicalises them', () => {
    expect(ok(parseFilter('screen_width:gt:0100'))).toEqual([[c('screen_width', 'gt', '100')]]);
    expect(ok(parseFilter('ts_millis:gte:-5'))).toEqual([[c('ts_millis', 'gte', '-5')]]);
    expect(ok(parseFilter('is_bot:eq:FALSE'))).toEqual([[c('is_bot', 'eq', 'false')]]);
    expect(err(parseFilter('screen_width:gt:1.5'))).toMatch(/integer/);
    expect(err(parseFilter('screen_width:eq:abc'))).toMatch(/integer/);
    expect(err(parseFilter('screen_width:eq:2147483648'))).toMatch(/out of range/);
    expect(ok(parseFilter('ts_millis:lt:9007199254740991'))).toEqual([[c('ts_millis', 'lt', '9007199254740991')]]);
    expect(err(parseFilter('ts_millis:lt:9007199254740992'))).toMatch(/out of range/);
    expect(err(parseFilter('is_bot:eq:yes'))).toMatch(/true or false/);
    expect(err(parseFilter('is_bot:gt:true'))).toMatch(/does not apply/);
    expect(err(parseFilter('screen_width:like:19%'))).toMatch(/text fields only/);
  });

  it('treats the operator case-insensitively and trims field names', () => {
    expect(ok(parseFilter(' browser:EQ:x, os:Ne:y'))).toEqual([[c('browser', 'eq', 'x'), c('os', 'ne', 'y')]]);
  });

  it('keeps quotes and backslashes inside unquoted values literally', () => {
    expect(ok(parseFilter('title:eq:say "hi"'))).toEqual([[c('title', 'eq', 'say "hi"')]]);
    expect(ok(parseFilter('path:eq:C:\\x\\'))).toEqual([[c('path', 'eq', 'C:\\x\\')]]);
  });

  it('fails with a reason on malformed input', () => {
    const cases: [string, RegExp][] = [
      ['nope:eq:1', /unknown field "nope"/],
      ['favourite_colour:eq:x', /unknown field/],
      ['url:contains:x', /unknown operator "contains"/],
      ['url', /expected <field>:<op>:<value>/],
      ['url:', /missing operator/],
      ['url:eq', /missing value/],
      ['url:eq:', /missing value.*""/],
      [':eq:x', /missing field name/],
      ['url:eq:x,', /condition 2: missing/],
      ['url:eq:x|', /condition 2: missing/],
      [',url:eq:x', /condition 1: missing field name/],
      ['url:eq:x,,os:eq:y', /condition 2: missing field name/],
      ['url:eq:"abc', /unterminated/],
      ['url:eq:"abc\\"', /unterminated/],
      ['url:eq:"a"b', /after the closing quote/],
      ['url,os:eq:x', /condition 1/],
    ];
    for (const [input, reason] of cases) expect(err(parseFilter(input)), input).toMatch(reason);
  });

  it('limits the number of conditions and the length of values', () => {
    const fifty = Array.from({ length: FILTER_LIMITS.maxConditions }, (_, i) => `title:eq:${i}`);
    expect(ok(parseFilter(fifty.join('|')))).toHaveLength(50);
    expect(err(parseFilter([...fifty, 'title:eq:x'].join(',')))).toMatch(/more than 50 conditions/);
    expect(ok(parseFilter(`title:eq:${'x'.repeat(2000)}`))[0]?.[0]?.value).toHaveLength(2000);
    expect(err(parseFilter(`title:eq:${'x'.repeat(2001)}`))).toMatch(/longer than 2000/);
    expect(err(parseFilter(`title:eq:"${'x'.repeat(2001)}"`))).toMatch(/longer than 2000/);
    expect(err(parseFilter('x'.repeat(FILTER_LIMITS.maxInputLength + 1)))).toMatch(/longer than/);
  });

  it('never throws, whatever the input', () => {
    const alphabet = fc.constantFrom(...'ab:,|"\\ eqnul_tr%'.split(''), 'url', 'eq', 'null', 'not_null', 'screen_width', 'gt');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.array(alphabet, { maxLength: 30 }).map((xs) => xs.join('')),
        ),
        (input) => {
          const r = parseFilter(input);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('formatFilter', () => {
  it('writes bare values when safe and quotes the rest', () => {
    expect(
      formatFilter([
        [c('url', 'eq', 'https://a.b/c'), c('title', 'eq', 'a,b')],
        [c('title', 'ne', null), c('title', 'eq', 'null'), c('title', 'eq', ''), c('title', 'eq', 'q"\\')],
        [c('url', 'not_null', null)],
      ]),
    ).toBe('url:eq:https://a.b/c,title:eq:"a,b"|title:ne:null,title:eq:"null",title:eq:"",title:eq:"q\\"\\\\"|url:not_null');
  });

  it('round-trips through parseFilter (property)', () => {
    const fieldsOf = (types: string[]) => EVENT_FIELDS.filter((f) => types.includes(f.data_type)).map((f) => f.name as FieldName);
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.constantFrom('a', ':', ',', '|', '"', '\\', ' ', '%', 'null', '/'), { maxLength: 12 }).map((xs) => xs.join('')),
    );
    const nonEmpty = text.filter((s) => s.length > 0);
    const textCondition = fc
      .record({
        field: fc.constantFrom(...fieldsOf(['Utf8'])),
        op: fc.constantFrom<FilterOp>('eq', 'ne', 'like', 'gt', 'gte', 'lt', 'lte'),
        value: fc.oneof(text, nonEmpty),
      })
      // Like patterns the grammar refuses (a lone \, too many wildcards) have their own tests.
      .filter((x) => x.op !== 'like' || checkLikePattern(x.value) === null);
    const likesWithin = (f: Filter) => f.flat().filter((x) => x.op === 'like').length <= LIKE_LIMITS.conditions;
    const nullCondition = fc.record({
      field: fc.constantFrom(...EVENT_FIELDS.map((f) => f.name as FieldName)),
      op: fc.constantFrom<FilterOp>('eq', 'ne'),
      value: fc.constant(null),
    });
    const notNull = fc.record({
      field: fc.constantFrom(...EVENT_FIELDS.map((f) => f.name as FieldName)),
      op: fc.constant<FilterOp>('not_null'),
      value: fc.constant(null),
    });
    const intCondition = fc.record({
      field: fc.constantFrom(...fieldsOf(['Int32'])),
      op: fc.constantFrom<FilterOp>('eq', 'ne', 'gt', 'gte', 'lt', 'lte'),
      value: fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
    });
    const bigCondition = fc.record({
      field: fc.constantFrom(...fieldsOf(['Int64'])),
      op: fc.constantFrom<FilterOp>('eq', 'ne', 'gt', 'gte', 'lt', 'lte'),
      value: fc.maxSafeInteger().map(String),
    });
    const boolCondition = fc.record({
      field: fc.constantFrom(...fieldsOf(['Boolean'])),
      op: fc.constantFrom<FilterOp>('eq', 'ne'),
      value: fc.constantFrom('true', 'false'),
    });
    const condition: fc.Arbitrary<Condition> = fc.oneof(textCondition, nullCondition, notNull, intCondition, bigCondition, boolCondition);
    const filter: fc.Arbitrary<Filter> = fc
      .array(fc.array(condition, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 })
      .filter((f) => f.flat().length <= FILTER_LIMITS.maxConditions && likesWithin(f));

    fc.assert(
      fc.property(filter, (f) => {
        const text = formatFilter(f);
        expect(ok(parseFilter(text))).toEqual(f);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('like patterns', () => {
  it('refuses a lone or trailing backslash and escapes of anything but %, _ and \\ (DuckDB answered 500)', () => {
    expect(err(parseFilter('url:like:\\'))).toMatch(/ends with a lone \\/);
    expect(err(parseFilter('url:like:abc\\'))).toMatch(/ends with a lone \\/);
    expect(err(parseFilter('url:like:a\\bc'))).toMatch(/escapes only %, _ and \\, not "b"/);
    expect(ok(parseFilter('url:like:100\\%'))).toEqual([[c('url', 'like', '100\\%')]]);
    expect(ok(parseFilter('url:like:a\\_b\\\\'))).toEqual([[c('url', 'like', 'a\\_b\\\\')]]);
    expect(err(checkFilter([[c('url', 'like', 'x\\')]]))).toMatch(/lone/);
  });

  it(`bounds the wildcards of one pattern to ${LIKE_LIMITS.wildcards} (exponential in DuckDB's LIKE)`, () => {
    expect(err(parseFilter(`url:like:${'%_'.repeat(9)}zz`))).toMatch(/more than 16 wildcards/);
    expect(ok(parseFilter(`url:like:${'%_'.repeat(8)}zz`))).toHaveLength(1);
    // Escaped wildcards are literal characters and do not count.
    expect(ok(parseFilter(`url:like:${'\\%'.repeat(40)}`))).toHaveLength(1);
    expect(checkLikePattern('%'.repeat(17))).toMatch(/wildcards/);
  });

  it(`allows at most ${LIKE_LIMITS.conditions} like conditions in one filter`, () => {
    const likes = (n: number) => Array.from({ length: n }, (_, i) => `url:like:%${i}%`).join('|');
    expect(ok(parseFilter(likes(10)))).toHaveLength(10);
    expect(err(parseFilter(likes(11)))).toMatch(/more than 10 like conditions/);
    expect(err(checkFilter(ok(parseFilter(likes(10))).concat([[c('title', 'like', 'x')]])))).toMatch(/more than 10 like conditions/);
  });

  it('translates to an anchored RE2 expression with literal text escaped', () => {
    expect(likeToRegex('a%b_c')).toBe('(?s)a.*b.c');
    expect(likeToRegex('100\\%.x')).toBe('(?s)100\\x{25}\\x{2e}x');
    expect(likeToRegex('a b\nü')).toBe('(?s)a\\x{20}b\\x{a}ü');
  });

  it('matches in memory like the engines, in time linear in the text for patterns that backtrack', () => {
    expect(likeMatch('%hrome', 'Chrome')).toBe(true);
    expect(likeMatch('_hrome', 'Chrome')).toBe(true);
    expect(likeMatch('C%e', 'Chrome')).toBe(true);
    expect(likeMatch('C%x', 'Chrome')).toBe(false);
    expect(likeMatch('%100\\% sure', 'I am 100% sure')).toBe(true);
    expect(likeMatch('%10\\%%', 'I am 100% sure')).toBe(false);
    expect(likeMatch('a_c', 'a🚀c')).toBe(true);
    expect(likeMatch('a%', 'a\nb')).toBe(true);
    expect(likeMatch('', '')).toBe(true);
    expect(likeMatch('%', '')).toBe(true);
    const text = 'e'.repeat(4000);
    const started = performance.now();
    expect(likeMatch(`${'%e'.repeat(8)}%zz`, text)).toBe(false);
    expect(likeMatch(`${'%_'.repeat(8)}zz`, text)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('checkFilter and operandOf', () => {
  it('rejects filters built in code with unknown fields or wrong types', () => {
    expect(err(checkFilter([[{ field: 'nope' as FieldName, op: 'eq', value: 'x' }]]))).toMatch(/unknown field/);
    expect(err(checkFilter([[c('url', 'contains' as FilterOp, 'x')]]))).toMatch(/unknown operator/);
    expect(err(checkFilter([[c('screen_width', 'eq', 'x')]]))).toMatch(/integer/);
    expect(err(checkFilter([[]]))).toMatch(/empty/);
    expect(ok(checkFilter([]))).toEqual([]);
  });

  it('types operands by field', () => {
    expect(operandOf(c('screen_width', 'gt', '10'))).toEqual({ kind: 'int', value: 10 });
    expect(operandOf(c('resolved', 'eq', 'false'))).toEqual({ kind: 'bool', value: false });
    expect(operandOf(c('title', 'like', 'a%'))).toEqual({ kind: 'text', value: 'a%' });
    expect(operandOf(c('title', 'eq', null))).toEqual({ kind: 'is_null' });
    expect(operandOf(c('title', 'ne', null))).toEqual({ kind: 'is_not_null' });
    expect(operandOf(c('title', 'not_null', null))).toEqual({ kind: 'is_not_null' });
  });
});

describe('parseFieldList', () => {
  it('reads names, trims them, drops duplicates and keeps order', () => {
    expect(ok(parseFieldList('event_id,ts_millis'))).toEqual(['event_id', 'ts_millis']);
    expect(ok(parseFieldList(' url , event_id,url'))).toEqual(['url', 'event_id']);
  });

  it('refuses unknown and empty names', () => {
    expect(err(parseFieldList('event_id,nope'))).toMatch(/unknown field "nope"/);
    expect(err(parseFieldList(''))).toMatch(/empty/);
    expect(err(parseFieldList('event_id,'))).toMatch(/empty/);
    expect(err(parseFieldList('EVENT_ID'))).toMatch(/unknown field/);
    expect(err(parseFieldList('x'.repeat(5000)))).toMatch(/too long/);
  });

  it('accepts every schema field', () => {
    expect(ok(parseFieldList(EVENT_FIELDS.map((f) => f.name).join(',')))).toHaveLength(EVENT_FIELDS.length);
  });
});
