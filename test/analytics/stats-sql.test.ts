// What a filter asks of one property's value rows (stats-sql.ts valueRowsConditionSql), which
// ClickHouse's folded reads apply where they read those rows: 18.16 does not push the outer WHERE
// into the subquery, and a clicked page's breakdowns then read every page row of the month
// (docs/stats.md). Only conditions every kept row must meet may be given; the contract suite checks
// that the answers stay exact.
import { describe, expect, it } from 'vitest';
import { clickHouseStatsDialect, rolledValuesSql } from '../../src/analytics/clickhouse-stats.js';
import type { StatsScope } from '../../src/analytics/stats.js';
import { valueRowsConditionSql } from '../../src/analytics/stats-sql.js';

const d = clickHouseStatsDialect({ events: 'e', links: 'l', profiles: 'p' });
const q: StatsScope = { organizationId: 'o', pixelIds: ['p1'], startMs: 0, endMs: 86_400_000 };

describe('what a filter asks of the rows ClickHouse reads', () => {
  it("gives one AND-group's conditions on the property, as conditions on e_value", () => {
    const filter: StatsScope['filter'] = [
      [
        { property: 'page', op: 'eq', value: '/a' },
        { property: 'device', op: 'eq', value: 'mobile' },
        { property: 'page', op: 'ne', value: '/b' },
      ],
    ];
    expect(valueRowsConditionSql(d, { ...q, filter }, 'page')).toBe("e_value = '/a' AND (e_value <> '' AND e_value <> '/b')");
    expect(valueRowsConditionSql(d, { ...q, filter: [[{ property: 'page', op: 'eq', value: null }]] }, 'page')).toBe("e_value = ''");
  });

  it('gives nothing when a kept row need not meet it: no filter, other properties, or several groups', () => {
    expect(valueRowsConditionSql(d, q, 'page')).toBeNull();
    expect(valueRowsConditionSql(d, { ...q, filter: [[{ property: 'source', op: 'eq', value: 'Google' }]] }, 'page')).toBeNull();
    expect(valueRowsConditionSql(d, { ...q, filter: [[{ property: 'page', op: 'eq', value: '/a' }]] }, 'event_type')).toBeNull();
    const either: StatsScope['filter'] = [[{ property: 'page', op: 'eq', value: '/a' }], [{ property: 'country', op: 'eq', value: 'DE' }]];
    expect(valueRowsConditionSql(d, { ...q, filter: either }, 'page')).toBeNull();
  });

  it("is in the WHERE of ClickHouse's folded and merged value reads", () => {
    const t = {
      events: 'ev',
      visits: 'vi',
      values: 'va',
      visitsView: 'vv',
      valuesView: 'av',
      foldedVisits: 'fvi',
      foldedValues: 'fva',
      folds: 'fo',
      days: 'da',
      daysView: 'dv',
    };
    const clicked = { ...q, filter: [[{ property: 'page' as const, op: 'eq' as const, value: '/a' }]] };
    const folded = rolledValuesSql(d, t, { ...clicked, endMs: 2 * 86_400_000 }, 'page', [{ pixelId: 'p1', vday: 0, gen: 7 }]);
    expect(folded).toMatch(/FROM fva WHERE [^()]*\(.*\) AND prop = 'page' AND .* AND e_value = '\/a'/);
    // The second day is not folded: read merged from the rollups, filtered where the value rows are grouped.
    expect(folded).toMatch(/FROM va WHERE .* AND e_value = '\/a' AND prop = 'page' GROUP BY/);
  });
});
