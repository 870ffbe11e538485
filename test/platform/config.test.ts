// loadConfig: the defaults an embedded install starts with, every way a setting can be refused (with
// the message an operator sees), and the JWT secret that is made once per DATA_DIR and kept.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'delivr-config-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const load = (env: Record<string, string> = {}) => loadConfig({ DATA_DIR: tempDir(), ...env });

function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  it('starts an embedded install with safe defaults', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir,
      publicUrl: 'http://localhost:8080',
      databaseUrl: null,
      jwtSecret: expect.any(String),
      jwtKid: 'k1',
      jwtPreviousKeys: {},
      jwtTtlSeconds: 86_400,
      smtpUrl: null,
      mailFrom: 'Delivr <no-reply@localhost>',
      signupMode: 'invite',
      adminToken: null,
      metricsToken: null,
      hideUnknownUsers: false,
      rateLimit: { perSecond: 25, burst: 50 },
      loginThrottle: { maxFailures: 5, windowSeconds: 900 },
      limits: {
        resetMailPerAddress: { count: 3, perSeconds: 3600 },
        resetMailPerSource: { count: 20, perSeconds: 3600 },
        signupPerSource: { count: 10, perSeconds: 3600 },
        dashboardPerUser: { count: 600, perSeconds: 60 },
        partnerPerUser: { count: 600, perSeconds: 60 },
        wrongSecretPerSource: { count: 10, perSeconds: 60 },
        wrongSecretLogPerKey: { count: 100, perSeconds: 3600 },
      },
      sessionTtlSeconds: 7 * 86_400,
      inviteTtlHours: 7 * 24,
      bodyLimitBytes: 1_048_576,
      importMaxBytes: 1024 ** 3,
      logLevel: 'info',
      clickhouseUrl: null,
      duckdbThread: true,
      statsFoldDelayMs: 5000,
      duckdbThreads: Math.max(1, availableParallelism() - 1),
      poolThreadNice: 10,
      redisUrl: null,
      ipMode: 'truncate',
      secureCookies: false,
      trustProxy: false,
      ingestMaxDelayMs: null,
      ingestMaxRows: null,
      ipData: { location: 'default', asn: 'default' },
      retentionIntervalSeconds: 3600,
      audiencePollMs: 2000,
      audienceLeaseMs: 60_000,
      queries: { timeoutMs: 30_000, perOrganization: 1, queuePerOrganization: 8 },
      shutdownGraceMs: 10_000,
      ingestLimits: { pixel: { perSecond: 2000, burst: 20_000 }, source: { perSecond: 500, burst: 5000 } },
    });
  });

  it('treats an empty variable as unset', () => {
    const config = load({ PORT: '', SIGNUP_MODE: '', LOGIN_HIDE_UNKNOWN_USERS: '', PUBLIC_URL: '', ADMIN_TOKEN: '', DATABASE_URL: '' });
    expect(config).toMatchObject({ port: 8080, signupMode: 'invite', hideUnknownUsers: false, adminToken: null, databaseUrl: null });
  });

  it('derives the public URL from the port, strips trailing slashes, and sets Secure cookies for https', () => {
    expect(load({ PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(load({ PUBLIC_URL: 'https://delivr.example.com//' })).toMatchObject({
      publicUrl: 'https://delivr.example.com',
      secureCookies: true,
    });
    expect(load({ PUBLIC_URL: 'https://delivr.example.com', SECURE_COOKIES: 'false' }).secureCookies).toBe(false);
    expect(load({ SECURE_COOKIES: 'yes' }).secureCookies).toBe(true);
  });

  it('reads every setting it is given', () => {
    const config = load({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://u@db:5432/delivr',
      JWT_SECRET: 's'.repeat(32),
      JWT_KID: 'k2',
      JWT_PREVIOUS_KEYS: 'k1:old-secret,k0:older:with:colons',
      SMTP_URL: 'smtps://user:pass@mail:465',
      SIGNUP_MODE: 'open',
      ADMIN_TOKEN: 'a'.repeat(16),
      LOGIN_HIDE_UNKNOWN_USERS: '1',
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1',
      IP_MODE: 'none',
      LOG_LEVEL: 'silent',
      CLICKHOUSE_URL: 'https://ch:8443/db',
      REDIS_URL: 'rediss://r:6380',
      INGEST_MAX_DELAY_MS: '0',
      INGEST_MAX_ROWS: '1',
      TRUST_PROXY: 'true',
      RETENTION_INTERVAL_SECONDS: '0',
      IMPORT_MAX_BYTES: '65536',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://u@db:5432/delivr',
      jwtSecret: 's'.repeat(32),
      jwtKid: 'k2',
      jwtPreviousKeys: { k1: 'old-secret', k0: 'older:with:colons' },
      smtpUrl: 'smtps://user:pass@mail:465',
      signupMode: 'open',
      adminToken: 'a'.repeat(16),
      hideUnknownUsers: true,
      rateLimit: { perSecond: 1_000_000, burst: 1 },
      ipMode: 'none',
      logLevel: 'silent',
      clickhouseUrl: 'https://ch:8443/db',
      redisUrl: 'rediss://r:6380',
      ingestMaxDelayMs: 0,
      ingestMaxRows: 1,
      trustProxy: true,
      retentionIntervalSeconds: 0,
      importMaxBytes: 65_536,
    });
  });

  it('creates DATA_DIR when it does not exist', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    expect(loadConfig({ DATA_DIR: dataDir }).dataDir).toBe(dataDir);
    expect(existsSync(dataDir)).toBe(true);
  });
});

const TRUST_PROXY_REFUSED =
  'TRUST_PROXY must be true, false or a comma-separated list of proxy addresses or CIDR ranges (e.g. 10.0.0.0/8,::1), got ';
const BUDGET_REFUSED = 'must look like 3/hour (a count of at least 1 per second, minute, hour or day), got ';

describe('TRUST_PROXY', () => {
  it('is off by default and for false/0/no; true/1/yes trusts any peer (only when nothing but the proxy reaches the server)', () => {
    for (const v of ['', 'false', '0', 'no']) expect(load({ TRUST_PROXY: v }).trustProxy).toBe(false);
    for (const v of ['true', '1', 'yes']) expect(load({ TRUST_PROXY: v }).trustProxy).toBe(true);
  });

  it('takes a list of proxy addresses and CIDR ranges, IPv4 and IPv6, and the named private ranges', () => {
    expect(load({ TRUST_PROXY: ' 10.0.0.0/8, 192.168.1.7,2001:db8::/32 ,::1,loopback,uniquelocal' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '2001:db8::/32',
      '::1',
      'loopback',
      'uniquelocal',
    ]);
    expect(load({ TRUST_PROXY: '0.0.0.0/0' }).trustProxy).toEqual(['0.0.0.0/0']);
  });
});

describe('LIMIT_* budgets', () => {
  it('read N/second, N/minute, N/hour and N/day', () => {
    const { limits } = load({
      LIMIT_RESET_MAIL_PER_ADDRESS: '1/day',
      LIMIT_RESET_MAIL_PER_SOURCE: '7/hour',
      LIMIT_SIGNUP_PER_SOURCE: '2/minute',
      LIMIT_DASHBOARD_PER_USER: '50/second',
      LIMIT_PARTNER_PER_USER: '1000000/second',
      LIMIT_WRONG_SECRET_PER_SOURCE: '3/minute',
      LIMIT_WRONG_SECRET_LOG_PER_KEY: '5/hour',
    });
    expect(limits).toEqual({
      resetMailPerAddress: { count: 1, perSeconds: 86_400 },
      resetMailPerSource: { count: 7, perSeconds: 3600 },
      signupPerSource: { count: 2, perSeconds: 60 },
      dashboardPerUser: { count: 50, perSeconds: 1 },
      partnerPerUser: { count: 1_000_000, perSeconds: 1 },
      wrongSecretPerSource: { count: 3, perSeconds: 60 },
      wrongSecretLogPerKey: { count: 5, perSeconds: 3600 },
    });
  });
});

describe('validation errors', () => {
  it.each([
    [{ PORT: '80a' }, 'PORT must be an integer, got "80a"'],
    [{ PORT: '-1' }, 'PORT must be an integer, got "-1"'],
    [{ PORT: '1.5' }, 'PORT must be an integer, got "1.5"'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ JWT_TTL_SECONDS: '59' }, 'JWT_TTL_SECONDS must be between 60 and 2592000, got 59'],
    [{ RATE_LIMIT_PER_SECOND: '0' }, 'RATE_LIMIT_PER_SECOND must be between 1 and 1000000, got 0'],
    [{ RATE_LIMIT_BURST: '1000001' }, 'RATE_LIMIT_BURST must be between 1 and 1000000, got 1000001'],
    [{ LOGIN_MAX_FAILURES: '0' }, 'LOGIN_MAX_FAILURES must be between 1 and 1000000, got 0'],
    [{ LOGIN_WINDOW_SECONDS: '86401' }, 'LOGIN_WINDOW_SECONDS must be between 1 and 86400, got 86401'],
    [{ SESSION_TTL_SECONDS: '59' }, 'SESSION_TTL_SECONDS must be between 60 and 7776000, got 59'],
    [{ INVITE_TTL_HOURS: '0' }, 'INVITE_TTL_HOURS must be between 1 and 2160, got 0'],
    [{ BODY_LIMIT_BYTES: '1023' }, 'BODY_LIMIT_BYTES must be between 1024 and 67108864, got 1023'],
    [{ IMPORT_MAX_BYTES: '1000' }, 'IMPORT_MAX_BYTES must be between 1024 and 1099511627776, got 1000'],
    [{ INGEST_MAX_DELAY_MS: '10001' }, 'INGEST_MAX_DELAY_MS must be between 0 and 10000, got 10001'],
    [{ INGEST_MAX_ROWS: '0' }, 'INGEST_MAX_ROWS must be between 1 and 1000000, got 0'],
    [{ RETENTION_INTERVAL_SECONDS: '-5' }, 'RETENTION_INTERVAL_SECONDS must be an integer, got "-5"'],
    [{ RETENTION_INTERVAL_SECONDS: '2592001' }, 'RETENTION_INTERVAL_SECONDS must be between 0 and 2592000, got 2592001'],
    [{ SIGNUP_MODE: 'closed' }, 'SIGNUP_MODE must be one of invite, open, got "closed"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ IP_MODE: 'partial' }, 'IP_MODE must be one of full, truncate, none, got "partial"'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL is not a valid URL'],
    [{ PUBLIC_URL: 'ftp://delivr.example' }, 'PUBLIC_URL must use http: or https:, got ftp:'],
    [{ DATABASE_URL: 'mysql://db/delivr' }, 'DATABASE_URL must use postgres: or postgresql:, got mysql:'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL must use smtp: or smtps:, got http:'],
    [{ CLICKHOUSE_URL: 'tcp://ch:9000' }, 'CLICKHOUSE_URL must use http: or https:, got tcp:'],
    [{ REDIS_URL: 'http://redis' }, 'REDIS_URL must use redis: or rediss:, got http:'],
    [{ LOGIN_HIDE_UNKNOWN_USERS: 'maybe' }, 'LOGIN_HIDE_UNKNOWN_USERS must be true or false, got "maybe"'],
    [{ SECURE_COOKIES: '2' }, 'SECURE_COOKIES must be true or false, got "2"'],
    [{ TRUST_PROXY: 'on' }, `${TRUST_PROXY_REFUSED}"on"`],
    [{ TRUST_PROXY: '10.0.0.0/33' }, `${TRUST_PROXY_REFUSED}"10.0.0.0/33"`],
    [{ TRUST_PROXY: '10.0.0.1,2001:db8::/129' }, `${TRUST_PROXY_REFUSED}"2001:db8::/129"`],
    [{ TRUST_PROXY: '10.0.0.0/8/8' }, `${TRUST_PROXY_REFUSED}"10.0.0.0/8/8"`],
    [{ TRUST_PROXY: '10.0.0.1,' }, `${TRUST_PROXY_REFUSED}""`],
    [{ TRUST_PROXY: '300.1.1.1' }, `${TRUST_PROXY_REFUSED}"300.1.1.1"`],
    [{ TRUST_PROXY: '10.0.0.0/x' }, `${TRUST_PROXY_REFUSED}"10.0.0.0/x"`],
    [{ LIMIT_RESET_MAIL_PER_ADDRESS: '3' }, `LIMIT_RESET_MAIL_PER_ADDRESS ${BUDGET_REFUSED}"3"`],
    [{ LIMIT_SIGNUP_PER_SOURCE: '0/hour' }, `LIMIT_SIGNUP_PER_SOURCE ${BUDGET_REFUSED}"0/hour"`],
    [{ LIMIT_DASHBOARD_PER_USER: '10/week' }, `LIMIT_DASHBOARD_PER_USER ${BUDGET_REFUSED}"10/week"`],
    [{ LIMIT_PARTNER_PER_USER: '-1/minute' }, `LIMIT_PARTNER_PER_USER ${BUDGET_REFUSED}"-1/minute"`],
    [{ JWT_SECRET: 's'.repeat(31) }, 'JWT_SECRET must be at least 32 characters'],
    [{ ADMIN_TOKEN: 'short-token' }, 'ADMIN_TOKEN must be at least 16 characters'],
    [{ METRICS_TOKEN: 'short-token' }, 'METRICS_TOKEN must be at least 16 characters'],
    [{ JWT_PREVIOUS_KEYS: 'no-colon' }, 'JWT_PREVIOUS_KEYS must look like kid:secret,kid:secret'],
    [{ JWT_PREVIOUS_KEYS: ':secret' }, 'JWT_PREVIOUS_KEYS must look like kid:secret,kid:secret'],
    [{ JWT_PREVIOUS_KEYS: 'k1:ok,k2:' }, 'JWT_PREVIOUS_KEYS must look like kid:secret,kid:secret'],
    [{ QUERY_TIMEOUT_MS: '0' }, 'QUERY_TIMEOUT_MS must be between 1 and 3600000, got 0'],
    [{ QUERY_CONCURRENCY_PER_ORG: '0' }, 'QUERY_CONCURRENCY_PER_ORG must be between 1 and 1000, got 0'],
    [{ DUCKDB_THREADS: '0' }, 'DUCKDB_THREADS must be between 1 and 1024, got 0'],
    [{ POOL_THREAD_NICE: '20' }, 'POOL_THREAD_NICE must be between 0 and 19, got 20'],
    [{ QUERY_QUEUE_PER_ORG: '-1' }, 'QUERY_QUEUE_PER_ORG must be an integer, got "-1"'],
    [{ SHUTDOWN_GRACE_MS: '99' }, 'SHUTDOWN_GRACE_MS must be between 100 and 600000, got 99'],
    [
      { INGEST_RATE_PER_PIXEL: '5000', INGEST_BURST_PER_PIXEL: '4000' },
      'INGEST_BURST_PER_PIXEL must be at least INGEST_RATE_PER_PIXEL (5000), got 4000',
    ],
    [{ INGEST_BURST_PER_SOURCE: '99' }, 'INGEST_BURST_PER_SOURCE must be between 100 and 100000000, got 99'],
  ])('%j is refused: %s', (env, message) => {
    expect(refusal(env)).toBe(message);
  });
});

describe('query and ingest limits', () => {
  it("reads the query share, DuckDB's threads, the shutdown grace and the ingest buckets; a rate of 0 switches an ingest limit off", () => {
    const config = load({
      QUERY_TIMEOUT_MS: '5000',
      QUERY_CONCURRENCY_PER_ORG: '4',
      QUERY_QUEUE_PER_ORG: '0',
      SHUTDOWN_GRACE_MS: '3000',
      INGEST_RATE_PER_PIXEL: '0',
      INGEST_RATE_PER_SOURCE: '50',
    });
    expect(config.queries).toEqual({ timeoutMs: 5000, perOrganization: 4, queuePerOrganization: 0 });
    expect(config.shutdownGraceMs).toBe(3000);
    expect(load({ DUCKDB_THREADS: '3' }).duckdbThreads).toBe(3);
    expect(load({ POOL_THREAD_NICE: '0' }).poolThreadNice).toBe(0);
    expect(config.ingestLimits).toEqual({ pixel: null, source: { perSecond: 50, burst: 5000 } });
  });
});

describe('JWT secret', () => {
  it('is made once per DATA_DIR with mode 600, and reused on the next start', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir }).jwtSecret;
    const file = join(dataDir, 'jwt-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n`);
    expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toBe(first);
    expect(loadConfig({ DATA_DIR: tempDir() }).jwtSecret).not.toBe(first);
  });

  it('JWT_SECRET wins, and then no file is written', () => {
    const dataDir = tempDir();
    expect(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40) }).jwtSecret).toBe('x'.repeat(40));
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });

  it('a damaged secret file is reported by name instead of silently replaced', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'jwt-secret'), 'short\n');
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(
      `${join(dataDir, 'jwt-secret')} holds a secret shorter than 32 characters; delete it to have a new one made (this signs everyone out) or set JWT_SECRET`,
    );
  });

  it('several processes starting on a fresh DATA_DIR at once all get the same secret', async () => {
    const dataDir = tempDir();
    const script = `import { loadConfig } from './src/platform/config.ts'; process.stdout.write(loadConfig({ DATA_DIR: process.env.D }).jwtSecret);`;
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          cwd: ROOT,
          env: { ...process.env, D: dataDir },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.on('exit', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    for (const r of results) expect(r.code, r.out).toBe(0);
    expect(new Set(results.map((r) => r.out)).size).toBe(1);
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim()).toBe(results[0]?.out);
    expect(readdirSync(dataDir)).toEqual(['jwt-secret']);
  }, 30_000);
});
