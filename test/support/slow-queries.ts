// Data and a filter that make an events query slow on purpose, for the tests of query deadlines,
// per-organization shares, cancellation and shutdown (and bench/tenants.ts). The filter is the
// costliest the grammar allows: 10 like conditions (the most one filter may hold), each a
// linear-time RE2 match of the URL, so its cost grows with the rows scanned, as a large tenant's
// legitimate query would (about 1 s per 200,000 rows per core here).
//
// Hundreds of thousands of rows through appendEvents take a minute, so `seedEvents` writes them with
// one INSERT ... SELECT into the app's own DuckDB file (the table the store created), while no app
// has it open: build an app on a data folder, create tenants, close it, seed, build it again.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TestApp } from './app.js';
import { createKey, dash, json, newTenant, type Tenant } from './tenant.js';

/** An organization with one project, one pixel and a data API key. */
export interface Org {
  tenant: Tenant;
  projectId: string;
  pixelId: string;
  headers: Record<string, string>;
}

export async function queryOrg(t: TestApp): Promise<Org> {
  const tenant = await newTenant(t);
  const key = await createKey(t, tenant);
  const projectId = json<{ project: { project_id: string } }>(
    await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${tenant.orgId}/projects`,
      headers: dash(tenant.session),
      payload: { name: 'site' },
    }),
  ).project.project_id;
  const pixelId = json<{ pixel: { pixel_id: string } }>(
    await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${tenant.orgId}/projects/${projectId}/pixels`,
      headers: dash(tenant.session),
      payload: { title: 'main' },
    }),
  ).pixel.pixel_id;
  return { tenant, projectId, pixelId, headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret } };
}

export interface Scope {
  organizationId: string;
  projectId: string;
  pixelId: string;
}

/**
 * `n` page views of `scope` over the 30 minutes before now, URLs of about 110 characters, in
 * DATA_DIR/analytics.duckdb. The store must be closed (DuckDB allows one process, one instance).
 */
export async function seedEvents(dataDir: string, scope: Scope, n: number): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, 'analytics.duckdb'));
  try {
    const conn = await instance.connect();
    const now = Date.now();
    const prefix = randomUUID();
    await conn.run(
      `INSERT INTO events (event_id, event_type, ts_millis, received_millis, organization_id, project_id, pixel_id, visitor_id, ` +
        `url, path, title, browser, os, device_type, utm_source, utm_medium, is_bot) ` +
        `SELECT $1 || '-' || i, 'page_view', ($2 + (i * 1700000) // $3)::BIGINT, ($2 + (i * 1700000) // $3)::BIGINT, $4, $5, $6, 'v' || (i % 5000), ` +
        `'https://www.example-' || (i % 1000) || '.com/some/long/path/to/a/page/' || ((i * 2654435761) % 4294967296)::VARCHAR || 'x' || (i % 7919)::VARCHAR || '?utm_source=newsletter', ` +
        `'/some/long/path', 'Page ' || (i % 100), 'Chrome', 'Linux', 'desktop', 'newsletter', 'email', false FROM range($3::BIGINT) r(i)`,
      [prefix, BigInt(now - 1_800_000), BigInt(n), scope.organizationId, scope.projectId, scope.pixelId],
    );
    await conn.run('CHECKPOINT');
    conn.closeSync();
  } finally {
    instance.closeSync();
  }
}

/**
 * The same rows as seedEvents, in the ClickHouse store at `url` (http://host:port/database, the
 * app's CLICKHOUSE_URL; its tables exist once an app has started on it). ClickHouse takes them
 * while the app runs.
 */
export async function seedClickHouseEvents(url: string, scope: Scope, n: number): Promise<void> {
  const u = new URL(url);
  const database = u.pathname.slice(1);
  const now = Date.now();
  const prefix = randomUUID();
  const q = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const sql =
    `INSERT INTO \`${database}\`.events (event_id, event_type, ts_millis, received_millis, organization_id, project_id, pixel_id, visitor_id, ` +
    `url, path, title, browser, os, device_type, utm_source, utm_medium, is_bot) ` +
    `SELECT concat(${q(prefix)}, '-', toString(number)), 'page_view', toInt64(${now - 1_800_000} + intDiv(number * 1700000, ${n})), ` +
    `toInt64(${now - 1_800_000} + intDiv(number * 1700000, ${n})), ${q(scope.organizationId)}, ${q(scope.projectId)}, ${q(scope.pixelId)}, ` +
    `concat('v', toString(number % 5000)), ` +
    `concat('https://www.example-', toString(number % 1000), '.com/some/long/path/to/a/page/', toString((number * 2654435761) % 4294967296), 'x', toString(number % 7919), '?utm_source=newsletter'), ` +
    `'/some/long/path', concat('Page ', toString(number % 100)), 'Chrome', 'Linux', 'desktop', 'newsletter', 'email', 0 FROM numbers(${n})`;
  const base = new URL(url);
  base.pathname = '/';
  const res = await fetch(base, { method: 'POST', body: sql });
  if (!res.ok) throw new Error(`seeding ClickHouse: ${res.status} ${await res.text()}`);
}

/** Queries ClickHouse is running now whose text contains `marker` (this question excluded). */
export async function clickHouseRunning(url: string, marker: string): Promise<number> {
  const base = new URL(url);
  base.pathname = '/';
  const sql = `SELECT count() FROM system.processes WHERE position(query, '${marker}') > 0 AND position(query, 'system.processes') = 0`;
  const res = await fetch(base, { method: 'POST', body: sql });
  return Number((await res.text()).trim());
}

/** 10 OR-ed like conditions that match nothing: every row scanned is tested against each. */
export const SLOW_FILTER = Array.from({ length: 10 }, (_, k) => `url:like:%e%${k}%a%b%c%d%e%f%zz`).join('|');

/** The query string of a slow events query (v2, offset paging) over the seeded range. */
export const slowQuery = (pixelId: string, filter = SLOW_FILTER): string =>
  `source=pixel&pixel_id=${pixelId}&start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}&filter=${encodeURIComponent(filter)}&limit=10`;

/** A normal query: the newest page of 50 events of the last hour. */
export const normalQuery = (pixelId: string): string =>
  `source=pixel&pixel_id=${pixelId}&start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}&limit=50`;
