// Acceptance 3 of issue 15: one tenant must not starve another. Organization B reads the newest page
// of its events (a normal dashboard/API read) over and over, first alone, then while organization A
// keeps several of the costliest queries the grammar allows in flight (test/support/slow-queries.ts:
// 10 like conditions over BENCH_SLOW_ROWS rows). B's p99 with A's load must stay within 2x its solo
// p99. Each repetition starts a fresh server on the same data and measures B alone, then B under A's
// load; the verdict is on the median of the repetitions' ratios. Next to wall time it prints the
// process's CPU time per wall second (cores busy; DuckDB's threads included) and how many of A's
// slow queries finished per second, so a rule that protects B by starving A shows. With
// BENCH_UNGATED=1 the same mix also runs once with the per-organization share switched off
// (QUERY_CONCURRENCY_PER_ORG as large as A's load, DuckDB on every core), as before the query gate.
//
//   npx tsx bench/tenants.ts            (DuckDB; ClickHouse too when CLICKHOUSE_URL is set;
//                                        BENCH_ENGINES=clickhouse for one of them)
//   BENCH_SLOW_ROWS=300000 BENCH_SLOW_CLIENTS=6 BENCH_REPS=5
//   BENCH_VARIANTS='now:;one:QUERY_CONCURRENCY_PER_ORG=1'   (servers compared, each `name:K=V,...`)
//
// On ClickHouse the scratch database is named after CLICKHOUSE_URL's database (a prefix) and dropped.
// Exits 1 when the median ratio passes 2x on an engine.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestApp, type TestApp } from '../test/support/app.js';
import { normalQuery, type Org, queryOrg, seedClickHouseEvents, seedEvents, slowQuery } from '../test/support/slow-queries.js';

const SLOW_ROWS = Number(process.env.BENCH_SLOW_ROWS ?? 300_000);
const SLOW_CLIENTS = Number(process.env.BENCH_SLOW_CLIENTS ?? 6);
const REPS = Number(process.env.BENCH_REPS ?? 5);
/** Per repetition, ROUNDS slices of SLICE_MS of B alone, each followed by one of B under A's load. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 3000);
const UNGATED = process.env.BENCH_UNGATED === '1';
const NORMAL_ROWS = 2000;
/**
 * The servers under test, `name:K=V,K=V;name:K=V`, measured in turn within each repetition; the
 * verdict is the first's. By default the defaults, and the defaults of issue 15's first gate (two
 * queries per organization at once, DuckDB on every core) for comparison.
 */
const VARIANTS: { name: string; env: Record<string, string> }[] = (
  process.env.BENCH_VARIANTS ?? `defaults:;before:QUERY_CONCURRENCY_PER_ORG=2,DUCKDB_THREADS=${availableParallelism()}`
)
  .split(';')
  .filter(Boolean)
  .map((v) => {
    const [name = '', settings = ''] = v.split(':');
    const env = Object.fromEntries(
      settings
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    return { name, env };
  });

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const median = (xs: number[]): number => pct(xs, 50);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  engine: string;
  env: Record<string, string>;
  a: Org;
  b: Org;
  cleanup(): Promise<void>;
}

/** Two organizations on one data store: A with SLOW_ROWS events, B with a normal tenant's few. */
async function setup(engine: 'duckdb' | 'clickhouse'): Promise<Setup> {
  console.log(`${engine}: seeding...`);
  if (engine === 'duckdb') {
    const dir = mkdtempSync(join(tmpdir(), 'delivr-bench-tenants-'));
    const first = await makeTestApp({ DATA_DIR: dir });
    const a = await queryOrg(first);
    const b = await queryOrg(first);
    await first.close();
    await seedEvents(dir, { organizationId: a.tenant.orgId, projectId: a.projectId, pixelId: a.pixelId }, SLOW_ROWS);
    await seedEvents(dir, { organizationId: b.tenant.orgId, projectId: b.projectId, pixelId: b.pixelId }, NORMAL_ROWS);
    return { engine, env: { DATA_DIR: dir }, a, b, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = new URL(process.env.CLICKHOUSE_URL as string);
  const prefix = url.pathname.slice(1).replace(/\W/g, '') || 'bench';
  const db = `${prefix}_tenants_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  url.pathname = `/${db}`;
  const dir = mkdtempSync(join(tmpdir(), 'delivr-bench-tenants-'));
  const env = { DATA_DIR: dir, CLICKHOUSE_URL: url.toString() };
  const first = await makeTestApp(env);
  const a = await queryOrg(first);
  const b = await queryOrg(first);
  await first.close();
  // ClickHouse is several times faster at this filter than DuckDB: give A more rows.
  await seedClickHouseEvents(url.toString(), { organizationId: a.tenant.orgId, projectId: a.projectId, pixelId: a.pixelId }, SLOW_ROWS * 5);
  await seedClickHouseEvents(url.toString(), { organizationId: b.tenant.orgId, projectId: b.projectId, pixelId: b.pixelId }, NORMAL_ROWS);
  return {
    engine,
    env,
    a,
    b,
    cleanup: async () => {
      const root = new URL(url);
      root.pathname = '/';
      await fetch(root, { method: 'POST', body: `DROP DATABASE IF EXISTS ${db}` });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

interface Phase {
  /** B's latencies, ms. */
  b: number[];
  /** CPU seconds of this process per wall second while B read (DuckDB's threads included). */
  cores: number;
  /** A's answers by status (a cancelled query has none), and its 200s per second. */
  slow: Record<string, number>;
  slowPerSecond: number;
}

/** B's latencies over sequential normal reads: `n` of them, or (n = 0) as many as fit in SLICE_MS. */
async function normalReads(base: string, b: Org, n: number): Promise<number[]> {
  const ms: number[] = [];
  const until = performance.now() + SLICE_MS;
  for (let i = 0; n > 0 ? i < n : performance.now() < until; i++) {
    const started = performance.now();
    const res = await fetch(`${base}/api/v2/events?${normalQuery(b.pixelId)}`, { headers: b.headers });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`B's read answered ${res.status}: ${Buffer.from(body).toString()}`);
    ms.push(performance.now() - started);
  }
  return ms;
}

/** A's slow-query loops: each keeps one query in flight (retrying a 429 after its Retry-After) until stopped. */
function slowLoad(base: string, s: Setup, clients: number) {
  const stop = new AbortController();
  const answers: Record<string, number> = {};
  let finished = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (!stop.signal.aborted) {
      try {
        const res = await fetch(`${base}/api/v2/events?${slowQuery(s.a.pixelId)}`, { headers: s.a.headers, signal: stop.signal });
        await res.arrayBuffer();
        answers[res.status] = (answers[res.status] ?? 0) + 1;
        if (res.status === 200) finished += 1;
        if (res.status === 429) await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      } catch {
        // stopped: the server cancels the query (the client went away)
      }
    }
  });
  return {
    answers,
    finished: () => finished,
    /** Aborts the queries in flight and waits until the server has nothing running. */
    async stop(t: TestApp) {
      stop.abort();
      await Promise.all(loops);
      while (t.services.queries.inFlight > 0) await sleep(5);
    },
  };
}

/**
 * B's reads alone and under A's load, in ROUNDS alternating slices (alone, loaded, alone, ...), so
 * that the machine's drifting load falls on both alike. A's load is stopped between slices by
 * cancelling its queries (the server interrupts them), and B's slice alone starts once nothing runs.
 */
async function alternate(t: TestApp, base: string, s: Setup, slowClients: number): Promise<Omit<Rep, 'slowAlone'>> {
  const solo: Phase = { b: [], cores: 0, slow: {}, slowPerSecond: 0 };
  const load: Phase = { b: [], cores: 0, slow: {}, slowPerSecond: 0 };
  const wall = { solo: 0, load: 0 };
  const cpu = { solo: 0, load: 0 };
  let finished = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const loaded of [false, true]) {
      const a = loaded ? slowLoad(base, s, slowClients) : null;
      if (a) await sleep(300); // A's queries admitted and running
      const before = process.cpuUsage();
      const started = performance.now();
      const done = a ? a.finished() : 0;
      const reads = await normalReads(base, s.b, 0).catch((err: unknown) => {
        // The server's account of a failed read, before the bench stops.
        for (const line of t.logs.filter((l) => l.includes('"level":50')).slice(-3)) console.error(line);
        throw err;
      });
      (loaded ? load : solo).b.push(...reads);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(before);
      wall[loaded ? 'load' : 'solo'] += seconds;
      cpu[loaded ? 'load' : 'solo'] += (used.user + used.system) / 1e6;
      if (a) {
        finished += a.finished() - done;
        await a.stop(t);
        for (const [k, v] of Object.entries(a.answers)) load.slow[k] = (load.slow[k] ?? 0) + v;
      }
    }
  }
  solo.cores = cpu.solo / wall.solo;
  load.cores = cpu.load / wall.load;
  load.slowPerSecond = finished / wall.load;
  return { solo, load };
}

interface Rep {
  solo: Phase;
  load: Phase;
  /** One of A's slow queries alone on the server, ms: what a rule that leaves others a core costs A. */
  slowAlone: number;
}

/** One fresh server with `extra` settings: warm-up, then B alone and under A's load in alternating slices. */
async function repetition(s: Setup, extra: Record<string, string>): Promise<Rep> {
  const t = await makeTestApp({
    ...s.env,
    QUERY_TIMEOUT_MS: '600000',
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    ...extra,
  });
  try {
    const base = await listen(t);
    await normalReads(base, s.b, 20);
    const started = performance.now();
    const res = await fetch(`${base}/api/v2/events?${slowQuery(s.a.pixelId)}`, { headers: s.a.headers });
    await res.arrayBuffer();
    const slowAlone = performance.now() - started;
    return { ...(await alternate(t, base, s, SLOW_CLIENTS)), slowAlone };
  } finally {
    await t.close();
  }
}

/** The columns of one repetition's line, each from a Rep. */
const COLUMNS: [string, (r: Rep) => number, (x: number) => string][] = [
  ['B alone p50', (r) => pct(r.solo.b, 50), (x) => x.toFixed(1)],
  ['p99', (r) => pct(r.solo.b, 99), (x) => x.toFixed(1)],
  ['B loaded p50', (r) => pct(r.load.b, 50), (x) => x.toFixed(1)],
  ['p99', (r) => pct(r.load.b, 99), (x) => x.toFixed(1)],
  ['p99 ratio', (r) => pct(r.load.b, 99) / pct(r.solo.b, 99), (x) => `${x.toFixed(2)}x`],
  ['cores alone', (r) => r.solo.cores, (x) => x.toFixed(2)],
  ['loaded', (r) => r.load.cores, (x) => x.toFixed(2)],
  ["A's 200/s", (r) => r.load.slowPerSecond, (x) => x.toFixed(2)],
  ['A alone ms', (r) => r.slowAlone, (x) => x.toFixed(0)],
];
const line = (label: string, values: number[]) =>
  `  ${label.padEnd(7)}${COLUMNS.map(([name, , f], i) => f(values[i] ?? 0).padStart(Math.max(name.length, 7) + 2)).join('')}`;
const row = (label: string, r: Rep) =>
  line(
    label,
    COLUMNS.map(([, get]) => get(r)),
  );

/** Each repetition's line and the medians; returns the median p99 ratio. */
function report(engine: string, name: string, env: Record<string, string>, reps: Rep[]): number {
  const med = (f: (r: Rep) => number) => median(reps.map(f));
  console.log(
    `\n${engine}, ${name} ${JSON.stringify(env)}: B read ${med((r) => r.solo.b.length)} times alone and ` +
      `${med((r) => r.load.b.length)} under load per repetition (ms; cores: this process's CPU seconds per second)`,
  );
  console.log(`  ${'rep'.padEnd(7)}${COLUMNS.map(([name]) => name.padStart(Math.max(name.length, 7) + 2)).join('')}`);
  for (const [i, r] of reps.entries()) console.log(`${row(String(i + 1), r)}  A: ${JSON.stringify(r.load.slow)}`);
  console.log(
    line(
      'median',
      COLUMNS.map(([, get]) => med(get)),
    ),
  );
  return med((r) => pct(r.load.b, 99) / pct(r.solo.b, 99));
}

/** Every variant once per repetition, in turn (so the machine's drifting load falls on all alike); the verdict is the first variant's. */
async function run(engine: 'duckdb' | 'clickhouse'): Promise<boolean> {
  const s = await setup(engine);
  try {
    const reps: Rep[][] = VARIANTS.map(() => []);
    for (let i = 0; i < REPS; i++) {
      for (const [k, v] of VARIANTS.entries()) {
        const r = await repetition(s, v.env);
        reps[k]?.push(r);
        console.log(
          `${engine} rep ${i + 1}/${REPS} ${v.name}: B p99 alone ${pct(r.solo.b, 99).toFixed(1)} ms, with A ${pct(r.load.b, 99).toFixed(1)} ms`,
        );
      }
    }
    const ungated = UNGATED
      ? await repetition(s, {
          QUERY_CONCURRENCY_PER_ORG: '1000',
          QUERY_QUEUE_PER_ORG: '1000',
          DUCKDB_THREADS: String(availableParallelism()),
        })
      : null;
    console.log(`\n${engine}: A holds ${engine === 'duckdb' ? SLOW_ROWS : SLOW_ROWS * 5} events and runs ${SLOW_CLIENTS} slow-query loops`);
    const ratios = VARIANTS.map((v, k) => report(engine, v.name, v.env, reps[k] ?? []));
    if (ungated) console.log(`\n${engine}, no per-organization share (as before issue 15), one repetition:\n${row('no gate', ungated)}`);
    return (ratios[0] ?? Number.POSITIVE_INFINITY) <= 2;
  } finally {
    await s.cleanup();
  }
}

const engines = (process.env.BENCH_ENGINES?.split(',') ?? (process.env.CLICKHOUSE_URL ? ['duckdb', 'clickhouse'] : ['duckdb'])).filter(
  (e): e is 'duckdb' | 'clickhouse' => e === 'duckdb' || e === 'clickhouse',
);
let pass = true;
for (const e of engines) pass = (await run(e)) && pass;
console.log(
  pass ? "\nPASS: B's median p99 ratio stayed within 2x of its solo p99" : "\nFAIL: B's median p99 ratio went past 2x its solo p99",
);
process.exit(pass ? 0 : 1);
