// What key + secret authentication costs per request: /api/v2/events_schema with an organization key
// and secret (key lookup, constant-time secret check, rate-limit bucket, access-log entry) against
// the same route without auth (same schema, handler and serialisation, registered by this bench) and
// /healthz on the same server, in the same run, alternating rounds so drift hits all alike. Prints
// issue 13's target: authenticated ≥ 0.7 × the same route without auth.
// Run: npx tsx bench/auth.ts   (about 50 s; BENCH_ROUNDS=5 BENCH_SECONDS=5 to change). The load
// generator runs in a worker thread, so it does not share the server's event loop.
import { createRequire } from 'node:module';
import { FieldsOut, SchemaQuery } from '../src/events/schemas.js';
import { makeTestApp } from '../test/support/app.js';
import { createKey, newTenant } from '../test/support/tenant.js';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  workers?: number;
}

const autocannon = createRequire(import.meta.url)('autocannon') as (opts: CannonOptions) => Promise<CannonResult>;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 10;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
/** autocannon reports latency in whole milliseconds; 0 means under one. */
const ms = (n: number): string => (n < 1 ? '<1 ms' : `${fmt(n)} ms`);

async function main(): Promise<void> {
  const t = await makeTestApp({ LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' }, (app, services) => {
    app.get('/bench/events_schema', { schema: { querystring: SchemaQuery, response: { 200: FieldsOut } } }, async (req) =>
      services.events.schema(req.query.source),
    );
  });
  try {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant, 'bench');
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });

    const targets = {
      auth: {
        url: `${base}/api/v2/events_schema?source=pixel`,
        headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret },
      },
      noauth: { url: `${base}/bench/events_schema?source=pixel`, headers: {} },
      healthz: { url: `${base}/healthz`, headers: {} },
    } as const;
    type Target = keyof typeof targets;

    const check = await fetch(targets.auth.url, { headers: targets.auth.headers });
    if (check.status !== 200) throw new Error(`authenticated request answered ${check.status}: ${await check.text()}`);

    const run = (target: Target, duration: number) => autocannon({ ...targets[target], connections: CONNECTIONS, duration, workers: 1 });

    process.stdout.write(
      `delivr auth bench: ${CONNECTIONS} connections, ${ROUNDS} rounds x ${SECONDS} s per endpoint, ${WARMUP_SECONDS} s warm-up\n`,
    );
    process.stdout.write(`node ${process.version}, catalog sqlite, server on ${base}\n\n`);
    await run('auth', WARMUP_SECONDS);
    await run('noauth', WARMUP_SECONDS);
    await run('healthz', WARMUP_SECONDS);

    const results: Record<Target, CannonResult[]> = { auth: [], noauth: [], healthz: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Target[] = round % 2 ? ['auth', 'noauth', 'healthz'] : ['healthz', 'noauth', 'auth'];
      for (const target of order) {
        const r = await run(target, SECONDS);
        results[target].push(r);
        const problems = r.non2xx + r.errors + r.timeouts;
        process.stdout.write(
          `round ${round}  ${target.padEnd(8)} ${fmt(r.requests.average).padStart(8)} req/s   p50 ${ms(r.latency.p50).padStart(6)}   p99 ${ms(r.latency.p99).padStart(6)}` +
            `${problems ? `   (${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)` : ''}\n`,
        );
      }
    }

    const summary = (target: Target) => ({
      rps: median(results[target].map((r) => r.requests.average)),
      p50: median(results[target].map((r) => r.latency.p50)),
      p99: median(results[target].map((r) => r.latency.p99)),
    });
    const auth = summary('auth');
    const noauth = summary('noauth');
    const healthz = summary('healthz');
    process.stdout.write('\nmedians\n');
    for (const [name, s] of [
      ['auth', auth],
      ['noauth', noauth],
      ['healthz', healthz],
    ] as const) {
      process.stdout.write(
        `  ${name.padEnd(8)} ${fmt(s.rps).padStart(8)} req/s   p50 ${ms(s.p50).padStart(6)}   p99 ${ms(s.p99).padStart(6)}\n`,
      );
    }
    const ratio = auth.rps / noauth.rps;
    process.stdout.write(`\nauthenticated / /healthz throughput: ${(auth.rps / healthz.rps).toFixed(2)}\n`);
    process.stdout.write(
      `${ratio >= 0.7 ? 'MET ' : 'MISS'} authenticated / same route without auth: ${ratio.toFixed(2)} (target ≥ 0.70, issue 13)\n`,
    );
  } finally {
    await t.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/auth: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
