// What only the embedded DuckDB store has to prove beyond the shared contract: acknowledged rows
// survive kill -9, the one-process-per-file lock is reported clearly, files written by older
// code are upgraded in place, and batches go in fast enough for ingest.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore, encodeEventLines } from '../../src/analytics/duckdb.js';
import { VISITOR_KEY, visitorKeySql } from '../../src/analytics/duckdb-visitor-key.js';
import { parseFilter } from '../../src/analytics/filter.js';
import { EVENT_FIELDS, type EventRow } from '../../src/analytics/types.js';
import { PROFILE_COLUMNS } from '../../src/identity/store-shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const T0 = Date.UTC(2026, 0, 15);

const open: DuckDbAnalyticsStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function tempPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'delivr-duckdb-')), 'analytics.duckdb');
}

async function openStore(path: string): Promise<DuckDbAnalyticsStore> {
  const store = new DuckDbAnalyticsStore(path);
  open.push(store);
  await store.init();
  return store;
}

function event(org: string, pixel: string, i: number): EventRow {
  return {
    event_id: `${pixel}-${String(i).padStart(7, '0')}`,
    event_type: i % 5 === 0 ? 'click' : 'page_view',
    ts_millis: T0 + i,
    received_millis: T0 + i + 3,
    organization_id: org,
    project_id: 'project-1',
    pixel_id: pixel,
    visitor_id: `visitor-${i % 997}`,
    session_id: `session-${i % 3001}`,
    url: `https://shop.example.com/products/${i % 500}?utm_source=x`,
    path: `/products/${i % 500}`,
    referrer: i % 3 === 0 ? 'https://www.google.com/' : null,
    title: `Product ${i % 500}`,
    user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    browser: 'Chrome',
    os: 'macOS',
    device_type: 'desktop',
    ip: `198.51.100.${i % 256}`,
    language: 'en-US',
    screen_width: 1440,
    screen_height: 900,
    utm_source: i % 4 === 0 ? 'newsletter' : null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    event_data: `{"i":${i}}`,
    is_bot: false,
    resolved: i % 2 === 0,
    hem_sha256: null,
    country: null,
    region: null,
    city: null,
    asn: null,
    network_org: null,
    network_type: null,
    description: null,
    heading: null,
  };
}

describe('DuckDbAnalyticsStore', () => {
  it('keeps acknowledged rows when the process is killed with SIGKILL right after', async () => {
    const path = tempPath();
    const org = randomUUID();
    const pixel = randomUUID();
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/append-child.ts'), path, org, pixel, '3000'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
    await new Promise<void>((ready, failed) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ok\n')) ready();
      });
      void exited.then((how) => failed(new Error(`child exited (${String(how)}) before "ok": ${stderr}`)));
    });

    // While the child holds the file, another process gets a clear refusal, not a corrupt file.
    const intruder = new DuckDbAnalyticsStore(path);
    await expect(intruder.init()).rejects.toThrow(/in use by another process/);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Nothing was checkpointed on a clean shutdown: the rows can only come back from DuckDB's WAL
    // or, when the kill came before the store moved them there, from the ingest journal.
    const journal = `${path}.journal`;
    expect(existsSync(`${path}.wal`) || readdirSync(journal).some((f) => statSync(join(journal, f)).size > 0)).toBe(true);

    const store = await openStore(path);
    const q = { organizationId: org, pixelIds: [pixel], startMs: 0, endMs: T0 * 2 };
    expect(await store.countEvents(q)).toBe(3000);
    const [first] = await store.queryEvents({ ...q, limit: 1, offset: 2999 });
    expect(first).toMatchObject({ event_id: `${pixel}-002999`, screen_width: 2999, title: 'ü "title" \\', resolved: false });
  }, 60_000);

  it('persists across close and reopen', async () => {
    const path = tempPath();
    const org = randomUUID();
    const pixel = randomUUID();
    const first = new DuckDbAnalyticsStore(path);
    await first.init();
    await first.appendEvents([event(org, pixel, 1), event(org, pixel, 2)]);
    await first.close();
    await first.close();

    const second = await openStore(path);
    expect(await second.countEvents({ organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 10 })).toBe(2);
  });

  it('refuses a second store on the same file in one process', async () => {
    const path = tempPath();
    await openStore(path);
    await expect(new DuckDbAnalyticsStore(path).init()).rejects.toThrow(/already open in this process/);
  });

  it('refuses work before init and after close', async () => {
    const store = new DuckDbAnalyticsStore(tempPath());
    await expect(store.appendEvents([])).rejects.toThrow(/init\(\)/);
    await store.init();
    await store.close();
    await expect(store.countEvents({ organizationId: 'o', pixelIds: ['p'], startMs: 0, endMs: 1 })).rejects.toThrow(/closed/);
    await expect(store.appendEvents([event('o', 'p', 1)])).rejects.toThrow(/closed/);
  });

  it('upgrades a file written before fields were added, whatever its column order', async () => {
    const path = tempPath();
    const old = EVENT_FIELDS.filter((f) => f.name !== 'hem_sha256' && f.name !== 'event_data').reverse();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run(
      `CREATE TABLE events (${old.map((f) => `"${f.name}" ${f.data_type === 'Utf8' ? 'VARCHAR' : f.data_type === 'Int64' ? 'BIGINT' : f.data_type === 'Int32' ? 'INTEGER' : 'BOOLEAN'}`).join(', ')}, legacy_note VARCHAR)`,
    );
    conn.closeSync();
    instance.closeSync();

    const store = await openStore(path);
    const org = randomUUID();
    const pixel = randomUUID();
    const row = { ...event(org, pixel, 7), hem_sha256: 'f'.repeat(64) };
    await store.appendEvents([row]);
    expect(await store.queryEvents({ organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 10, limit: 5, raw: true })).toEqual([
      row,
    ]);
  });

  it('gives a file from before the location and network columns those columns, old rows reading null', async () => {
    const path = tempPath();
    const added = ['country', 'region', 'city', 'asn', 'network_org', 'network_type'];
    const before = EVENT_FIELDS.filter((f) => !added.includes(f.name));
    const sqlType = (t: string) => (t === 'Utf8' ? 'VARCHAR' : t === 'Int64' ? 'BIGINT' : t === 'Int32' ? 'INTEGER' : 'BOOLEAN');
    const org = randomUUID();
    const pixel = randomUUID();
    const old = event(org, pixel, 1);
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE events (${before.map((f) => `"${f.name}" ${sqlType(f.data_type)}`).join(', ')})`);
    const values = before.map((f) => {
      const v = old[f.name as keyof EventRow];
      return v === null ? 'NULL' : typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v);
    });
    await conn.run(`INSERT INTO events VALUES (${values.join(', ')})`);
    conn.closeSync();
    instance.closeSync();

    const store = await openStore(path);
    const fresh = {
      ...event(org, pixel, 2),
      country: 'FR',
      region: 'Ile-de-France',
      city: 'Paris',
      asn: 12322,
      network_org: 'Free SAS',
      network_type: 'isp',
    };
    await store.appendEvents([fresh]);
    const q = { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 10 };
    expect(await store.queryEvents({ ...q, limit: 5, raw: true })).toEqual([old, fresh]);
    const { filter } = { filter: parseFilter('asn:eq:12322') };
    if (!filter.ok) throw new Error(filter.error);
    expect(await store.countEvents({ ...q, filter: filter.value })).toBe(1);
  });

  it('refuses to open a file with a column it could not fill', async () => {
    const path = tempPath();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run('CREATE TABLE events (event_id VARCHAR NOT NULL, mystery BIGINT NOT NULL)');
    conn.closeSync();
    instance.closeSync();
    const store = new DuckDbAnalyticsStore(path);
    open.push(store);
    await expect(store.init()).rejects.toThrow(/cannot fill: mystery BIGINT NOT NULL/);
  });

  it('rebuilds a profiles table that has a primary key without it, keeping its rows and lookups', async () => {
    const path = tempPath();
    const org = randomUUID();
    const hem = 'a'.repeat(64);
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const columns = PROFILE_COLUMNS.map(
      (c) => `"${c.name}" ${c.data_type === 'Utf8' ? 'VARCHAR' : 'BIGINT'}${c.nullable ? '' : ' NOT NULL'}`,
    );
    await conn.run(
      `CREATE TABLE profiles (organization_id VARCHAR NOT NULL, ${columns.join(', ')}, PRIMARY KEY (organization_id, hem_sha256))`,
    );
    await conn.run('CREATE INDEX profiles_by_sha256 ON profiles (hem_sha256)');
    await conn.run(
      `INSERT INTO profiles (organization_id, hem_sha256, hem_md5, first_name, updated_at) VALUES ('${org}', '${hem}', '${'b'.repeat(32)}', 'Ann', 5)`,
    );
    conn.closeSync();
    instance.closeSync();

    const store = await openStore(path);
    expect((await store.getProfiles(org, [hem]))[0]).toMatchObject({ hem_sha256: hem, first_name: 'Ann' });
    expect((await store.getProfiles(org, ['b'.repeat(32)], 'md5'))[0]?.hem_sha256).toBe(hem);
    await store.mergeProfiles(org, [{ hem_sha256: hem, hem_md5: 'b'.repeat(32), hem_sha1: null, job_title: 'CEO' }], 9);
    expect(await store.getProfiles(org, [hem])).toEqual([expect.objectContaining({ first_name: 'Ann', job_title: 'CEO' })]);
    await store.close();
    const check = await DuckDBInstance.create(path);
    const c2 = await check.connect();
    const keys = await c2.runAndReadAll(
      `SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'profiles' AND constraint_type = 'PRIMARY KEY'`,
    );
    expect(Number(keys.getRows()[0]?.[0])).toBe(0);
    c2.closeSync();
    check.closeSync();
  });

  it('adds the HEM lookup keys to a profiles table made without them, keeping its rows and lookups', async () => {
    const path = tempPath();
    const org = randomUUID();
    const hem = `${'c'.repeat(16)}${'d'.repeat(48)}`;
    const md5 = 'e'.repeat(32);
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const columns = PROFILE_COLUMNS.map(
      (c) => `"${c.name}" ${c.data_type === 'Utf8' ? 'VARCHAR' : 'BIGINT'}${c.nullable ? '' : ' NOT NULL'}`,
    );
    // The previous layout: no key, indexes on the HEMs' text.
    await conn.run(`CREATE TABLE profiles (organization_id VARCHAR NOT NULL, ${columns.join(', ')})`);
    await conn.run('CREATE INDEX profiles_by_sha256 ON profiles (hem_sha256)');
    await conn.run('CREATE INDEX profiles_by_md5 ON profiles (hem_md5)');
    await conn.run(
      `INSERT INTO profiles (organization_id, hem_sha256, hem_md5, first_name, updated_at) VALUES ('${org}', '${hem}', '${md5}', 'Bo', 5)`,
    );
    conn.closeSync();
    instance.closeSync();

    const store = await openStore(path);
    expect((await store.getProfiles(org, [hem]))[0]).toMatchObject({ hem_sha256: hem, first_name: 'Bo' });
    expect((await store.getProfiles(org, [md5], 'md5'))[0]?.hem_sha256).toBe(hem);
    await store.close();
    const check = await DuckDBInstance.create(path);
    const c2 = await check.connect();
    const indexes = await c2.runAndReadAll(`SELECT index_name FROM duckdb_indexes() WHERE table_name = 'profiles' ORDER BY 1`);
    expect(indexes.getRows().map((r) => r[0])).toEqual(['profiles_by_md5_key', 'profiles_by_sha256_key']);
    c2.closeSync();
    check.closeSync();
  });

  it('gives visitor links made before visitor keys their keys, so page views stored after find their person by key', async () => {
    const path = tempPath();
    const org = randomUUID();
    const pixel = randomUUID();
    const tracker = '0123456789abcdef0123456789abcdef';
    const hem = 'a'.repeat(64);
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    // The links' previous layout: no visitor_key.
    await conn.run(
      'CREATE TABLE visitor_links (organization_id VARCHAR NOT NULL, visitor_id VARCHAR NOT NULL, hem_sha256 VARCHAR NOT NULL, ' +
        'source VARCHAR NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, PRIMARY KEY (organization_id, visitor_id))',
    );
    await conn.run(`INSERT INTO visitor_links VALUES ('${org}', '${tracker}', '${hem}', 'form', 1, 1)`);
    conn.closeSync();
    instance.closeSync();

    const store = await openStore(path);
    const day = Math.floor(T0 / 86_400_000);
    const url = 'https://shop.example.com/cloud';
    await store.savePages(org, [
      {
        url,
        title: 'Cloud',
        description: '',
        heading: '',
        topics: [{ topic_id: 't-cloud', relevance: 80 }],
        version: 'v',
        classified_at: 1,
      },
    ]);
    // Keyed by the journal's move; the link only by the migration.
    await store.appendEvents([{ ...event(org, pixel, 1), event_type: 'page_view', url, visitor_id: tracker }]);
    const staged = await store.stageIntentScores({
      organizationId: org,
      topicIds: ['t-cloud'],
      asOfDay: day,
      windowDays: 7,
      rates: {},
      listAll: true,
    });
    await store.dropIntentStage(org, staged.stage);
    expect(staged.ambiguous.map((a) => [a.hem_sha256, a.topic_id])).toEqual([[hem, 't-cloud']]);
    await store.close();
    // Only the tracker's form has a key: upper case, hyphens and other text do not.
    const check = await DuckDBInstance.create(path);
    const c2 = await check.connect();
    const keys = await c2.runAndReadAll(
      `SELECT v, CAST(${visitorKeySql('v')} AS VARCHAR) FROM (VALUES ('${tracker}'), ('${tracker.toUpperCase()}'), ` +
        `('01234567-89ab-cdef-0123-456789abcdef'), ('${tracker.slice(0, 31)}g'), ('visitor-1')) t(v)`,
    );
    expect(keys.getRows()).toEqual([
      [tracker, '01234567-89ab-cdef-0123-456789abcdef'],
      [tracker.toUpperCase(), null],
      ['01234567-89ab-cdef-0123-456789abcdef', null],
      [`${tracker.slice(0, 31)}g`, null],
      ['visitor-1', null],
    ]);
    const [link] = (await c2.runAndReadAll(`SELECT CAST(${VISITOR_KEY} AS VARCHAR) FROM visitor_links`)).getRows();
    expect(link?.[0]).toBe('01234567-89ab-cdef-0123-456789abcdef');
    c2.closeSync();
    check.closeSync();
  });

  it('finds profiles by the whole HEM: people sharing a key, a changed MD5, a HEM that is not hex', async () => {
    const store = await openStore(tempPath());
    const org = randomUUID();
    // The same first 16 hex digits: the same lookup key, two people.
    const a = { hem_sha256: `${'1'.repeat(16)}${'a'.repeat(48)}`, hem_md5: `${'2'.repeat(16)}${'a'.repeat(16)}`, hem_sha1: null };
    const b = { hem_sha256: `${'1'.repeat(16)}${'b'.repeat(48)}`, hem_md5: `${'2'.repeat(16)}${'b'.repeat(16)}`, hem_sha1: null };
    const odd = { hem_sha256: 'not-a-hash', hem_md5: 'NOT-HEX-EITHER', hem_sha1: null };
    await store.mergeProfiles(
      org,
      [
        { ...a, first_name: 'A' },
        { ...b, first_name: 'B' },
        { ...odd, first_name: 'Odd' },
      ],
      1,
    );
    const names = async (hems: string[], kind?: 'md5') => (await store.getProfiles(org, hems, kind)).map((p) => p.first_name).sort();
    expect(await names([a.hem_sha256])).toEqual(['A']);
    expect(await names([b.hem_md5], 'md5')).toEqual(['B']);
    expect(await names([a.hem_sha256, b.hem_sha256, odd.hem_sha256])).toEqual(['A', 'B', 'Odd']);
    expect(await names([odd.hem_md5], 'md5')).toEqual(['Odd']);
    expect(await names([`${'1'.repeat(16)}${'c'.repeat(48)}`, a.hem_sha256.toUpperCase()])).toEqual([]);
    expect(await store.getProfiles(randomUUID(), [a.hem_sha256])).toEqual([]);
    // A later import with another MD5 for the same person moves the MD5 lookup along.
    const moved = `${'3'.repeat(16)}${'a'.repeat(16)}`;
    await store.mergeProfiles(org, [{ ...a, hem_md5: moved }], 2);
    expect(await names([moved], 'md5')).toEqual(['A']);
    expect(await names([a.hem_md5], 'md5')).toEqual([]);
  });

  it('opens once when init is called concurrently', async () => {
    const store = new DuckDbAnalyticsStore(tempPath());
    open.push(store);
    await Promise.all([store.init(), store.init(), store.init()]);
    expect(await store.countEvents({ organizationId: 'o', pixelIds: ['p'], startMs: 0, endMs: 1 })).toBe(0);
  });

  it('binds filter values, so SQL in a value is only text', async () => {
    const store = await openStore(tempPath());
    const org = randomUUID();
    const pixel = randomUUID();
    await store.appendEvents([{ ...event(org, pixel, 1), title: "x' OR '1'='1" }, event(org, pixel, 2)]);
    const q = { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 10 };
    for (const f of [`title:eq:"x' OR '1'='1"`, `title:eq:x' OR '1'='1`]) {
      const parsed = parseFilter(f);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(await store.countEvents({ ...q, filter: parsed.value })).toBe(1);
    }
    const drop = parseFilter(`title:eq:'; DROP TABLE events; --`);
    if (!drop.ok) throw new Error(drop.error);
    expect(await store.countEvents({ ...q, filter: drop.value })).toBe(0);
    expect(await store.countEvents(q)).toBe(2);
  });

  it('serves reads while batches are being written', async () => {
    const store = await openStore(tempPath());
    const org = randomUUID();
    const pixel = randomUUID();
    const q = { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 1_000_000 };
    const work: Promise<unknown>[] = [];
    for (let b = 0; b < 20; b++) {
      work.push(store.appendEvents(Array.from({ length: 500 }, (_, i) => event(org, pixel, b * 500 + i))));
      work.push(store.queryEvents({ ...q, limit: 50 }), store.countEvents(q), store.countByBucket(q, 'hour'));
    }
    await Promise.all(work);
    expect(await store.countEvents(q)).toBe(10_000);
  });

  it('appends thousands of rows per batch quickly', async () => {
    const store = await openStore(tempPath());
    const org = randomUUID();
    const pixel = randomUUID();
    const batches = 20;
    const size = 5000;
    const rows = Array.from({ length: batches * size }, (_, i) => event(org, pixel, i));
    const started = performance.now();
    for (let b = 0; b < batches; b++) await store.appendEvents(rows.slice(b * size, (b + 1) * size));
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(rows.length / seconds);
    console.log(`[duckdb] appended ${rows.length} rows in ${batches} durable batches of ${size}: ${rate} rows/s`);
    expect(await store.countEvents({ organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + rows.length })).toBe(rows.length);
    // Far below what it does (18,700 rows/s at load 6.5 on 2 cores, 3,600 at load 15): it only catches a
    // regression to row-at-a-time inserts, whose durable commits would manage hundreds.
    expect(rate).toBeGreaterThan(5_000);
  }, 60_000);
});

describe('DuckDB ingest journal', () => {
  const segment = (path: string, n: number): string => join(`${path}.journal`, `${String(n).padStart(12, '0')}.ndjson`);
  const applied = async (path: string): Promise<number> => {
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      return Number((await conn.runAndReadAll('SELECT max(applied) FROM ingest_journal')).getRows()[0]?.[0]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  };

  it('moves what a crash left in the journal into DuckDB at open, once, without the torn last line', async () => {
    const path = tempPath();
    const org = randomUUID();
    const pixel = randomUUID();
    const q = { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 1_000_000 };
    const first = await openStore(path);
    const moved = [0, 1, 2].map((i) => event(org, pixel, i));
    await first.appendEvents(moved);
    await first.close();
    const last = await applied(path);
    expect(last).toBeGreaterThan(0);
    // What a process killed at the wrong moments leaves: a segment committed to DuckDB whose file was
    // not deleted yet, one acknowledged and not moved whose last write was torn, and a later one.
    mkdirSync(`${path}.journal`, { recursive: true });
    writeFileSync(segment(path, last), encodeEventLines(moved));
    writeFileSync(segment(path, last + 1), `${encodeEventLines([event(org, pixel, 3), event(org, pixel, 4)])}{"event_id":"torn","event_ty`);
    writeFileSync(segment(path, last + 2), encodeEventLines([event(org, pixel, 5)]));

    const store = await openStore(path);
    expect(await store.countEvents(q)).toBe(6);
    const ids = (await store.queryEvents({ ...q, limit: 10, select: ['event_id'] })).map((r) => r.event_id).sort();
    expect(ids).toEqual([0, 1, 2, 3, 4, 5].map((i) => event(org, pixel, i).event_id));
    await store.close();
    // Moved segments are gone (deleted in the background, awaited by close).
    expect(readdirSync(`${path}.journal`).filter((f) => statSync(join(`${path}.journal`, f)).size > 0)).toEqual([]);
    expect(await applied(path)).toBeGreaterThanOrEqual(last + 2);
  });

  it('reports what is acknowledged and not yet moved, and nothing once a read has waited for it', async () => {
    const store = await openStore(tempPath());
    const org = randomUUID();
    const pixel = randomUUID();
    const q = { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 1_000_000 };
    await store.appendEvents([event(org, pixel, 0)]);
    expect(await store.countEvents(q)).toBe(1);
    await store.appendEvents([event(org, pixel, 1), event(org, pixel, 2)]);
    const waiting = await store.journalStats();
    expect(waiting?.pendingBytes).toBe(encodeEventLines([event(org, pixel, 1), event(org, pixel, 2)]).length);
    expect(waiting?.segments).toBe(1);
    expect(await store.countEvents(q)).toBe(3);
    const moved = await store.journalStats();
    expect(moved).toMatchObject({ pendingBytes: 0, segments: 0, failedMoves: 0 });
    expect(moved?.lastMoveMs).toBeGreaterThan(0);
  });

  it('answers reads with every event acknowledged before them, and keeps lone surrogates as U+FFFD', async () => {
    const store = await openStore(tempPath());
    const org = randomUUID();
    const pixel = randomUUID();
    const q = { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 1_000_000 };
    for (let b = 0; b < 30; b++) {
      await store.appendEvents([{ ...event(org, pixel, b), title: `half \ud800 pair ${b}` }]);
      expect(await store.countEvents(q)).toBe(b + 1);
    }
    const [row] = await store.queryEvents({ ...q, limit: 1, select: ['title'] });
    expect(row?.title).toMatch(/^half \ufffd pair \d+$/);
  });
});
