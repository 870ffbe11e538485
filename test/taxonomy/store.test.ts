// The taxonomy store on every catalog backend (SQLite always; PostgreSQL when TEST_DATABASE_URL is
// set, in a fresh schema per run): the start-up sync is idempotent and keeps ids and creation times,
// a changed catalog updates and deactivates rather than deletes, two processes syncing at once agree,
// listings and counts agree under every filter, and topic requests stay inside their organization.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/catalog.js';
import { type CatalogConnection, openCatalog } from '../../src/catalog/db.js';
import type { BuiltCatalog } from '../../src/taxonomy/build.js';
import { shippedCatalog } from '../../src/taxonomy/service.js';
import { TaxonomyStore, type TopicFilter } from '../../src/taxonomy/store.js';

const serverUrl = process.env.TEST_DATABASE_URL;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** A fresh, empty catalog on the backend: its own temp dir or PostgreSQL schema. */
type Open = () => Promise<CatalogConnection>;
const backends: [string, () => Open][] = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'delivr-taxonomy-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return () => openCatalog({ databaseUrl: null, dataDir: dir });
    },
  ],
];
if (serverUrl) {
  backends.push([
    'postgres',
    () => {
      const schema = `delivr_taxonomy_${Date.now()}_${randomBytes(4).toString('hex')}`;
      const url = new URL(serverUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      let created: Promise<void> | undefined;
      cleanups.push(async () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      return async () => {
        created ??= admin(`CREATE SCHEMA ${schema}`);
        await created;
        return openCatalog({ databaseUrl: url.toString(), dataDir: '/nonexistent', poolSize: 3 });
      };
    },
  ]);
} else {
  console.log('[taxonomy store] postgres: skipped, set TEST_DATABASE_URL to run it');
}

const T0 = 1_767_225_600_000;
const all = { limit: 100_000, offset: 0 };

describe.each(backends)('taxonomy store on %s', (_name, fresh) => {
  const built = shippedCatalog();
  const conns: CatalogConnection[] = [];
  const open = async (o: Open) => {
    const c = await o();
    conns.push(c);
    return { conn: c, store: new TaxonomyStore(c.db, c.dialect), catalog: new Catalog(c.db, c.dialect) };
  };
  afterAll(async () => {
    for (const c of conns) await c.db.destroy();
  });

  it('syncs once, then a restart is a no-op that keeps every id and creation time', async () => {
    const o = fresh();
    const { store } = await open(o);
    expect(await store.syncCatalog(built, T0)).toEqual({ changed: true });
    const first = await store.listTopics('nobody', {}, all);
    expect(first.length).toBe(built.topics.length);
    expect(first.every((t) => t.created_at === T0 && t.updated_at === null)).toBe(true);
    // A "restart": a new connection to the same catalog syncing the same build later.
    const { store: again } = await open(o);
    expect(await again.syncCatalog(built, T0 + 60_000)).toEqual({ changed: false });
    expect(await again.listTopics('nobody', {}, all)).toEqual(first);
    expect(await again.countCategories({})).toBe(built.categories.length);
    expect(await again.countSubcategories({})).toBe(built.subcategories.length);
  });

  it('gives a fresh install the same ids', async () => {
    const { store: a } = await open(fresh());
    const { store: b } = await open(fresh());
    await a.syncCatalog(built, T0);
    await b.syncCatalog(built, T0 + 5);
    const ids = async (s: TaxonomyStore) => ({
      categories: (await s.listCategories({}, all)).map((c) => c.id),
      subcategories: (await s.listSubcategories({}, all)).map((c) => c.id),
      topics: (await s.listTopics('x', {}, all)).map((t) => `${t.id}/${t.category_id}/${t.subcategory_id}`),
    });
    expect(await ids(b)).toEqual(await ids(a));
  });

  // SQLite: one process holds one connection at a time (better-sqlite3 waits synchronously), so the
  // race is run in two child processes below; PostgreSQL's pool lets it run here.
  it.skipIf(_name === 'sqlite')('two connections syncing one fresh catalog at once both succeed and write each row once', async () => {
    const o = fresh();
    const [x, y] = await Promise.all([open(o), open(o)]);
    const results = await Promise.all([x.store.syncCatalog(built, T0), y.store.syncCatalog(built, T0)]);
    expect(results.filter((r) => r.changed).length).toBe(1);
    expect(await x.store.countTopics('x', {})).toBe(built.topics.length);
  });

  it('applies a changed catalog: renames update, vanished rows turn inactive, custom topics stay', async () => {
    const { store, catalog } = await open(fresh());
    await store.syncCatalog(built, T0);
    const org = await catalog.organizations.createOrganization({ name: 'Changed', now: T0 });
    const req = await store.createTopicRequest(
      org.id,
      { name: 'Quantum', description: '', keywords: [], category_id: null, subcategory_id: null, topic_type: 'B2B' },
      T0,
    );
    await store.reviewTopicRequest(req.id, 'accepted', null, T0);
    const [gone, renamed, ...rest] = built.topics;
    if (!gone || !renamed) throw new Error('empty catalog');
    const next: BuiltCatalog = { ...built, topics: [{ ...renamed, name: `${renamed.name} (renamed)` }, ...rest] };
    expect(await store.syncCatalog(next, T0 + 1000)).toEqual({ changed: true });
    const g = await store.getTopic(org.id, gone.id);
    expect(g).toMatchObject({ status: 'inactive', updated_at: T0 + 1000, created_at: T0 });
    expect(await store.getTopic(org.id, renamed.id)).toMatchObject({ name: `${renamed.name} (renamed)`, status: 'active', created_at: T0 });
    expect(await store.getTopic(org.id, req.topic_id)).toMatchObject({ status: 'active', organization_id: org.id });
    expect(await store.countTopics(org.id, { status: 'inactive' })).toBe(1);
    // Back to the shipped catalog: the topic comes back under the same id.
    await store.syncCatalog(built, T0 + 2000);
    expect(await store.getTopic(org.id, gone.id)).toMatchObject({ status: 'active', created_at: T0 });
  });

  it('counts what it lists, under every filter, and search finds names and keywords', async () => {
    const { store } = await open(fresh());
    await store.syncCatalog(built, T0);
    const cloud = await store.getTopic('x', 'iab_ct_620');
    if (!cloud?.category_id || !cloud.subcategory_id) throw new Error('no Cloud Computing');
    const filters: TopicFilter[] = [
      {},
      { topic_type: 'B2B' },
      { topic_type: 'B2C', status: 'active' },
      { category_id: cloud.category_id },
      { category_id: cloud.category_id, topic_type: 'B2B' },
      { subcategory_id: cloud.subcategory_id, topic_type: 'B2C' },
      { search: 'cloud computing' },
      { search: 'kubernetes' },
      { search: 'software', topic_type: 'B2B', category_id: cloud.category_id },
      { category_id: 'no-such-category' },
      { search: '100%_' },
    ];
    for (const f of filters) {
      const listed = await store.listTopics('x', f, all);
      expect(await store.countTopics('x', f), JSON.stringify(f)).toBe(listed.length);
    }
    expect((await store.listTopics('x', { search: 'Cloud Computing' }, all)).map((t) => t.id)).toContain('iab_ct_620');
    // By keyword only: "kubernetes" is not in any name.
    expect((await store.listTopics('x', { search: 'kubernetes' }, all)).map((t) => t.id)).toContain('iab_ct_620');
    // Filters compose: each narrows the one before.
    const b2bInCat = await store.listTopics('x', { category_id: cloud.category_id, topic_type: 'B2B' }, all);
    expect(b2bInCat.length).toBeGreaterThan(0);
    expect(b2bInCat.every((t) => t.category_id === cloud.category_id && t.topic_type === 'B2B')).toBe(true);
    expect(b2bInCat.length).toBeLessThan(await store.countTopics('x', { category_id: cloud.category_id }));
    expect(b2bInCat.length).toBeLessThan(await store.countTopics('x', { topic_type: 'B2B' }));
    // LIKE wildcards in a search are literal.
    expect(await store.countTopics('x', { search: '%' })).toBe(0);
    // Paging covers the listing without gaps or repeats.
    const paged = [
      ...(await store.listTopics('x', {}, { limit: 700, offset: 0 })),
      ...(await store.listTopics('x', {}, { limit: 1000, offset: 700 })),
    ];
    expect(paged.map((t) => t.id)).toEqual((await store.listTopics('x', {}, all)).map((t) => t.id));
    for (const f of [{}, { search: 'tech' }, { status: 'inactive' as const }]) {
      expect(await store.countCategories(f)).toBe((await store.listCategories(f, all)).length);
      expect(await store.countSubcategories(f)).toBe((await store.listSubcategories(f, all)).length);
    }
    expect(await store.countSubcategories({ category_id: cloud.category_id })).toBe(
      built.subcategories.filter((s) => s.category_id === cloud.category_id).length,
    );
  });

  it('keeps topic requests and their topics inside the requesting organization', async () => {
    const { store, catalog } = await open(fresh());
    await store.syncCatalog(built, T0);
    const a = await catalog.organizations.createOrganization({ name: `A ${randomUUID()}`, now: T0 });
    const b = await catalog.organizations.createOrganization({ name: `B ${randomUUID()}`, now: T0 });
    const input = {
      name: 'Quantum Key Distribution',
      description: 'QKD',
      keywords: ['qkd'],
      category_id: null,
      subcategory_id: null,
      topic_type: 'B2B' as const,
    };
    const req = await store.createTopicRequest(a.id, input, T0);
    expect(req.status).toBe('waiting_for_approval');
    expect(await store.getTopicRequest(b.id, req.id)).toBeUndefined();
    expect(await store.countTopicRequests(b.id, {})).toBe(0);
    expect(await store.countTopicRequests(a.id, { status: 'waiting_for_approval' })).toBe(1);
    expect(await store.updateTopicRequest(b.id, req.id, { ...input, name: 'hijack' }, T0)).toBeUndefined();
    expect((await store.updateTopicRequest(a.id, req.id, { ...input, keywords: ['qkd', 'quantum'] }, T0 + 1))?.keywords).toBe(
      '["qkd","quantum"]',
    );
    const reviewed = await store.reviewTopicRequest(req.id, 'accepted', 'fits', T0 + 2);
    expect(reviewed?.topic?.id).toBe(req.topic_id);
    expect(await store.reviewTopicRequest(req.id, 'rejected', null, T0 + 3)).toBeUndefined();
    expect(await store.updateTopicRequest(a.id, req.id, input, T0 + 3)).toBeUndefined();
    expect(await store.getTopic(a.id, req.topic_id)).toMatchObject({ name: 'Quantum Key Distribution', organization_id: a.id });
    expect(await store.getTopic(b.id, req.topic_id)).toBeUndefined();
    expect(await store.countTopics(a.id, { search: 'qkd' })).toBe(1);
    expect(await store.countTopics(b.id, { search: 'qkd' })).toBe(0);
    expect((await store.listReviews(a.id, req.topic_id)).map((r) => r.status)).toEqual([
      'waiting_for_approval',
      'waiting_for_approval',
      'accepted',
    ]);
    expect(await store.listReviews(b.id, req.topic_id)).toEqual([]);
  });
});

// Loads the modules, says "ready", waits for "go", then opens (migrates) and syncs the catalog.
const CHILD = `
import { openCatalog } from './src/catalog/db.ts';
import { shippedCatalog } from './src/taxonomy/service.ts';
import { TaxonomyStore } from './src/taxonomy/store.ts';
const built = shippedCatalog();
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  try {
    const conn = await openCatalog({ databaseUrl: null, dataDir: process.env.CATALOG_DIR });
    const r = await new TaxonomyStore(conn.db, conn.dialect).syncCatalog(built, 1);
    await conn.db.destroy();
    process.stdout.write('result ' + JSON.stringify(r) + '\\n');
    process.exit(0);
  } catch (err) {
    process.stdout.write('failed: ' + (err && err.stack || err) + '\\n');
    process.exit(1);
  }
});
`;

describe('taxonomy sync on SQLite across processes', () => {
  it('two processes starting on one fresh catalog file at once both succeed; one builds, one finds it built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivr-taxonomy-race-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const children = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
        cwd: join(import.meta.dirname, '..', '..'),
        env: { ...process.env, CATALOG_DIR: dir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      const ready = new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready')) resolve();
        });
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.write('go\n');
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
    expect(results.map((r) => (r.out.includes('"changed":true') ? 1 : 0)).reduce((a: number, b: number) => a + b, 0)).toBe(1);
    const conn = await openCatalog({ databaseUrl: null, dataDir: dir });
    expect(await new TaxonomyStore(conn.db, conn.dialect).countTopics('x', {})).toBe(shippedCatalog().topics.length);
    await conn.db.destroy();
  }, 60_000);
});
