// Traffic stats on ClickHouse: the SQL dialect for the shared builder (analytics/stats-sql.ts),
// within what 18.16 has: argMin/argMinIf over a (ts_millis, event_id) tuple, uniqExact, one join
// per SELECT spelled ALL/ANY with USING, identity tables read with FINAL. Every value goes through
// clickhouse-sql.ts. Visits are grouped from the events at query time: the events table is sorted
// by (organization_id, pixel_id, ts_millis), so a period reads only its own range.
import { sqlNumber, sqlString, sqlStringList } from './clickhouse-sql.js';
import type { StatsDialect } from './stats-sql.js';

export interface ClickHouseStatsTables {
  events: string;
  links: string;
  profiles: string;
}

export function clickHouseStatsDialect(t: ClickHouseStatsTables): StatsDialect {
  const key = '(ts_millis, event_id)';
  return {
    text: sqlString,
    int: (v) => sqlNumber(v),
    textList: sqlStringList,
    constant: sqlString,
    events: t.events,
    notBot: 'is_bot = 0',
    intDiv: (a, b) => `intDiv(${a}, ${b})`,
    argMin: (x, cond) => (cond ? `argMinIf(${x}, ${key}, ${cond})` : `argMin(${x}, ${key})`),
    argMax: (x, cond) => (cond ? `argMaxIf(${x}, ${key}, ${cond})` : `argMax(${x}, ${key})`),
    // One aggregate over a tuple instead of one per field (ClickHouse computes an aggregate written
    // twice only once, so each field reads the same tuple).
    argMany: (kind, xs, cond) => {
      const fn = kind === 'min' ? 'argMin' : 'argMax';
      const agg = cond ? `${fn}If(tuple(${xs.join(', ')}), ${key}, ${cond})` : `${fn}(tuple(${xs.join(', ')}), ${key})`;
      return xs.map((_, i) => `tupleElement(${agg}, ${i + 1})`);
    },
    countIf: (cond) => `countIf(${cond})`,
    uniq: (x) => `uniqExact(${x})`,
    any: (x) => `any(${x})`,
    regexExtract: (x, pattern) => `extract(${x}, ${pattern})`,
    regexReplace: (x, pattern, replacement) => `replaceRegexpOne(${x}, ${pattern}, ${replacement})`,
    matches: (x, pattern) => `match(${x}, ${pattern})`,
    like: (x, pattern) => `${x} LIKE ${sqlString(pattern)}`,
    lower: (x) => `lowerUTF8(${x})`,
    monthOfDay: (day) => {
      const date = `toDate(toUInt16(${day}))`;
      return `(toYear(${date}) * 12 + toMonth(${date}) - 1)`;
    },
    innerJoin: (left, right, keys) => `(${left}) ALL INNER JOIN (${right}) USING (${keys.join(', ')})`,
    identity: (rows, organizationId) => {
      const org = sqlString(organizationId);
      // Needs join_use_nulls = 1: a visitor without a link must read as NULL, not ''.
      return (
        `SELECT *, ifNull(j_company, '') AS i_company FROM (` +
        `SELECT *, if(isNull(j_hem), 0, 1) AS i_identified, ifNull(j_hem, '') AS i_person FROM (${rows}) ` +
        `ANY LEFT JOIN (SELECT visitor_id AS v_visitor, hem_sha256 AS j_hem FROM ${t.links} FINAL WHERE organization_id = ${org} AND deleted = 0) ` +
        'USING (v_visitor)) ' +
        `ANY LEFT JOIN (SELECT toNullable(hem_sha256) AS j_hem, company_name AS j_company FROM ${t.profiles} FINAL ` +
        `WHERE organization_id = ${org} AND deleted = 0) USING (j_hem)`
      );
    },
    limit: (limit, offset) => `LIMIT ${sqlNumber(offset)}, ${sqlNumber(limit)}`,
  };
}
