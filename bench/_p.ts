import { DuckDBInstance } from '@duckdb/node-api';
import { Params } from '../src/analytics/duckdb-params.js';
import { duckStatsDialect } from '../src/analytics/duckdb-stats.js';
import { totalsSql, VISIT_COLUMNS } from '../src/analytics/stats-sql.js';

const inst = await DuckDBInstance.create('/tmp/st/b10m/analytics.duckdb', { access_mode: 'READ_ONLY' });
const c = await inst.connect();
const END = 1775016000000;
const START = END - 30 * 86400000;
const q = {
  organizationId: '0b0b0b0b-0000-4000-8000-000000000001',
  pixelIds: ['0b0b0b0b-0000-4000-8000-000000000003'],
  startMs: START,
  endMs: END,
  identified: false,
};
const scope = (a: string) =>
  `${a}.organization_id = '${q.organizationId}' AND ${a}.pixel_id IN ('${q.pixelIds[0]}') AND ${a}.vday >= ${Math.floor(START / 86400000)} AND ${a}.vday <= ${Math.floor((END - 1) / 86400000)} AND ${a}.v_start >= ${START} AND ${a}.v_start < ${END}`;
const prop = process.argv[2] ?? 'page';
const p = new Params();
const d = duckStatsDialect((v, t) => p.add(v, t));
const sql = totalsSql(d, q, {
  visits: () => `SELECT ${VISIT_COLUMNS.map((x) => 's.' + x).join(', ')}, s.v_vn FROM stats_visits s WHERE ${scope('s')}`,
  values: (pr) =>
    `SELECT s.pixel_id, s.session_id, s.vday, s.e_value, s.m_events, s.m_pageviews, s.v_start, s.v_end, s.v_interactions, s.v_vn FROM stats_visit_values s WHERE ${scope('s')} AND s.prop = '${pr}'`,
  grouping: prop === 'none' ? { kind: 'none' } : { kind: 'property', property: prop as 'page' },
  page: { limit: 10, offset: 0 },
  visitor: 'v_vn',
});
console.log(sql);
for (let i = 0; i < 3; i++) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  await c.runAndReadAll(sql, p.values, p.types);
  const u = process.cpuUsage(c0);
  console.log('ms', (performance.now() - t).toFixed(0), 'cpu', ((u.user + u.system) / 1000).toFixed(0));
}
if (process.env.ANALYZE) {
  const r = await c.runAndReadAll('EXPLAIN ANALYZE ' + sql, p.values, p.types);
  console.log(String(r.getRows()[0]?.[1]));
}
