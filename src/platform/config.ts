// Configuration, read once from the environment at start. Everything else receives a typed Config;
// no module reads process.env on its own, so tests can build several apps with different settings.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_FOLD_DELAY_MS } from '../analytics/stats.js';
import { DataDirError, dataDirProblem } from './storage.js';

export type SignupMode = 'invite' | 'open';
export type IpMode = 'full' | 'truncate' | 'none';

/** A request budget: `count` requests at once, refilled evenly over `perSeconds` (a token bucket). */
export interface Budget {
  count: number;
  perSeconds: number;
}

/** The budgets of the cheap abuse paths (src/platform/throttles.ts), each set by a `LIMIT_*` variable. */
export interface AbuseLimits {
  /** Password-reset emails per email address, and per client address. */
  resetMailPerAddress: Budget;
  resetMailPerSource: Budget;
  /** Sign-up attempts per client address. */
  signupPerSource: Budget;
  /** Session API requests per signed-in person; Partner API requests per person. */
  dashboardPerUser: Budget;
  partnerPerUser: Budget;
  /** Wrong or missing secrets for a real API key, per key and client address; and how many of them its access log keeps. */
  wrongSecretPerSource: Budget;
  wrongSecretLogPerKey: Budget;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string;
  /** `postgres://` switches the catalog to PostgreSQL; unset means SQLite under dataDir. */
  databaseUrl: string | null;
  jwtSecret: string;
  /** Identifies the current JWT key; old tokens verify while their kid is listed. */
  jwtKid: string;
  /** Retired keys still accepted for verification: kid → secret. */
  jwtPreviousKeys: Record<string, string>;
  jwtTtlSeconds: number;
  smtpUrl: string | null;
  mailFrom: string;
  signupMode: SignupMode;
  adminToken: string | null;
  /** When set, `/metrics` requires `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | null;
  /** Answer 401 instead of the documented 404 "User not found." for unknown emails at login. */
  hideUnknownUsers: boolean;
  rateLimit: { perSecond: number; burst: number };
  /**
   * Failed sign-ins allowed per account and client address before each further attempt from there
   * waits (1 s, doubling, up to the window); the window failures are counted in (accounts/throttle.ts).
   */
  loginThrottle: { maxFailures: number; windowSeconds: number };
  limits: AbuseLimits;
  sessionTtlSeconds: number;
  inviteTtlHours: number;
  bodyLimitBytes: number;
  /** Largest identity import upload (CSV or NDJSON), streamed to disk, never held in memory. */
  importMaxBytes: number;
  logLevel: string;
  clickhouseUrl: string | null;
  /** DuckDB on a thread of its own (analytics/duckdb-threaded.ts), so storage work leaves the event loop. */
  duckdbThread: boolean;
  /** How long appended events wait before the DuckDB stats rollups fold them in (they count at once either way). */
  statsFoldDelayMs: number;
  /**
   * Threads one DuckDB query may work on (DuckDB's `threads`): by default every core but one, so a
   * tenant's slow query leaves a core to the others (docs/scaling.md, "One tenant's slow queries").
   */
  duckdbThreads: number;
  /**
   * Steps of niceness libuv's thread pool (DuckDB's statements, file and crypto work) runs below the
   * event loop, so the loop gets the CPU first (platform/thread-priority.ts); 0 leaves the pool at the
   * loop's priority.
   */
  poolThreadNice: number;
  redisUrl: string | null;
  ipMode: IpMode;
  secureCookies: boolean;
  /**
   * Whose X-Forwarded-For to believe for the client address: false (nobody, the default), the
   * addresses/CIDR ranges of the proxies in front, or true (any peer: only when nothing but the proxy
   * can reach the server).
   */
  trustProxy: boolean | string[];
  /** Group commit: longest wait before a flush, and most rows per flush (engine defaults when null). */
  ingestMaxDelayMs: number | null;
  ingestMaxRows: number | null;
  /** Events queries: deadline, and each organization's share of concurrent queries (analytics/query-gate.ts). */
  queries: { timeoutMs: number; perOrganization: number; queuePerOrganization: number };
  /** How long SIGTERM may take: queries in flight get half of it, then are interrupted. */
  shutdownGraceMs: number;
  /** Ingest token buckets in events per second, per pixel and per client IP; null = no limit. */
  ingestLimits: { pixel: RateSetting | null; source: RateSetting | null };
  /** IP location and ASN data files: 'default' = the npm packages', null = off (docs/ingest.md). */
  ipData: { location: readonly string[] | 'default' | null; asn: readonly string[] | 'default' | null };
  /** Seconds between retention passes (src/retention/); 0 switches them off. */
  retentionIntervalSeconds: number;
  /** How often this process's audience worker looks for due and queued audiences (ms); 0: no worker here. */
  audiencePollMs: number;
  /** How long an audience run's claim lasts without renewal: how soon another process takes over a dead worker's run. */
  audienceLeaseMs: number;
}

export interface RateSetting {
  perSecond: number;
  burst: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Every core but one (at least one): one query, however slow, leaves a core to everyone else. */
export const defaultDuckDbThreads = (): number => Math.max(1, availableParallelism() - 1);

function int(env: Env, key: string, dflt: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, key: string, values: readonly T[], dflt: T): T {
  const raw = env[key];
  if (raw === undefined || raw === '') return dflt;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(`${key} must be one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, key: string, protocols: readonly string[]): string | null {
  const raw = env[key];
  if (raw === undefined || raw === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${key} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${key} must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function bool(env: Env, key: string, dflt: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return dflt;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${raw}"`);
}

const PERIODS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

/** `N/period` (period: second, minute, hour or day), e.g. `3/hour`: N requests at once, refilled over the period. */
function budget(env: Env, key: string, dflt: Budget): Budget {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return dflt;
  const m = /^(\d{1,9})\/(second|minute|hour|day)$/.exec(raw);
  const count = Number(m?.[1]);
  if (!m || count < 1)
    throw new ConfigError(`${key} must look like 3/hour (a count of at least 1 per second, minute, hour or day), got "${raw}"`);
  return { count, perSeconds: PERIODS[m[2] as string] as number };
}

/** Names proxy-addr (Fastify's trustProxy) knows for the private ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: unset or false trusts no X-Forwarded-For; true trusts any peer; otherwise a
 * comma-separated list of proxy addresses and CIDR ranges (and loopback, linklocal, uniquelocal).
 */
function trustProxy(env: Env): boolean | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || ['0', 'false', 'no'].includes(raw)) return false;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  const entries = raw.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(
        `TRUST_PROXY must be true, false or a comma-separated list of proxy addresses or CIDR ranges (e.g. 10.0.0.0/8,::1), got "${entry}"`,
      );
    }
  }
  return entries;
}

/**
 * Reads DATA_DIR/jwt-secret, creating it (mode 600) on first start. The new secret is written to a
 * temp file and linked into place, so two processes starting at once (server and CLI) both end up
 * with the one complete secret that won, never a half-written or second one.
 */
function persistedJwtSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // Inside the try: a full disk fails the write after the file was created, and it must go.
      writeFileSync(tmp, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, 0o600);
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) {
    throw new ConfigError(
      `${file} holds a secret shorter than 32 characters; delete it to have a new one made (this signs everyone out) or set JWT_SECRET`,
    );
  }
  return secret;
}

/** `kid:secret,kid:secret` → map, for verifying tokens signed before a key rotation. */
function parseKeyList(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) throw new ConfigError('JWT_PREVIOUS_KEYS must look like kid:secret,kid:secret');
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const dataDir = resolve(env.DATA_DIR || './data');
  const publicUrl = (url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  let jwtSecret: string;
  try {
    mkdirSync(dataDir, { recursive: true });
    jwtSecret = env.JWT_SECRET || persistedJwtSecret(dataDir);
  } catch (err) {
    // A full or read-only data folder is said in one line, not a stack trace.
    const problem = dataDirProblem(err, dataDir);
    if (problem) throw new DataDirError(problem);
    throw err;
  }
  if (jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
  const adminToken = env.ADMIN_TOKEN || null;
  if (adminToken !== null && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
  }
  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  }
  return {
    port,
    host,
    dataDir,
    publicUrl,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    jwtSecret,
    jwtKid: env.JWT_KID || 'k1',
    jwtPreviousKeys: parseKeyList(env.JWT_PREVIOUS_KEYS),
    jwtTtlSeconds: int(env, 'JWT_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: env.MAIL_FROM || 'Delivr <no-reply@localhost>',
    signupMode: oneOf(env, 'SIGNUP_MODE', ['invite', 'open'] as const, 'invite'),
    adminToken,
    metricsToken,
    hideUnknownUsers: bool(env, 'LOGIN_HIDE_UNKNOWN_USERS', false),
    rateLimit: {
      perSecond: int(env, 'RATE_LIMIT_PER_SECOND', 25, 1, 1_000_000),
      burst: int(env, 'RATE_LIMIT_BURST', 50, 1, 1_000_000),
    },
    loginThrottle: {
      maxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 1_000_000),
      windowSeconds: int(env, 'LOGIN_WINDOW_SECONDS', 900, 1, 86_400),
    },
    limits: {
      resetMailPerAddress: budget(env, 'LIMIT_RESET_MAIL_PER_ADDRESS', { count: 3, perSeconds: 3600 }),
      resetMailPerSource: budget(env, 'LIMIT_RESET_MAIL_PER_SOURCE', { count: 20, perSeconds: 3600 }),
      signupPerSource: budget(env, 'LIMIT_SIGNUP_PER_SOURCE', { count: 10, perSeconds: 3600 }),
      dashboardPerUser: budget(env, 'LIMIT_DASHBOARD_PER_USER', { count: 600, perSeconds: 60 }),
      partnerPerUser: budget(env, 'LIMIT_PARTNER_PER_USER', { count: 600, perSeconds: 60 }),
      wrongSecretPerSource: budget(env, 'LIMIT_WRONG_SECRET_PER_SOURCE', { count: 10, perSeconds: 60 }),
      wrongSecretLogPerKey: budget(env, 'LIMIT_WRONG_SECRET_LOG_PER_KEY', { count: 100, perSeconds: 3600 }),
    },
    sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 7 * 86_400, 60, 90 * 86_400),
    inviteTtlHours: int(env, 'INVITE_TTL_HOURS', 7 * 24, 1, 90 * 24),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    importMaxBytes: int(env, 'IMPORT_MAX_BYTES', 1024 ** 3, 1024, 1024 ** 4),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    clickhouseUrl: url(env, 'CLICKHOUSE_URL', ['http:', 'https:']),
    duckdbThread: bool(env, 'DUCKDB_THREAD', true),
    statsFoldDelayMs: int(env, 'STATS_FOLD_DELAY_MS', DEFAULT_FOLD_DELAY_MS, 0, 3_600_000),
    duckdbThreads: int(env, 'DUCKDB_THREADS', defaultDuckDbThreads(), 1, 1024),
    poolThreadNice: int(env, 'POOL_THREAD_NICE', 10, 0, 19),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    ipMode: oneOf(env, 'IP_MODE', ['full', 'truncate', 'none'] as const, 'truncate'),
    secureCookies: bool(env, 'SECURE_COOKIES', publicUrl.startsWith('https:')),
    trustProxy: trustProxy(env),
    ingestMaxDelayMs: env.INGEST_MAX_DELAY_MS ? int(env, 'INGEST_MAX_DELAY_MS', 5, 0, 10_000) : null,
    ingestMaxRows: env.INGEST_MAX_ROWS ? int(env, 'INGEST_MAX_ROWS', 5000, 1, 1_000_000) : null,
    ipData: { location: fileList(env, 'GEO_LOCATION_DB'), asn: fileList(env, 'GEO_ASN_DB') },
    retentionIntervalSeconds: int(env, 'RETENTION_INTERVAL_SECONDS', 3600, 0, 30 * 86_400),
    audiencePollMs: int(env, 'AUDIENCE_POLL_MS', 2000, 0, 3_600_000),
    audienceLeaseMs: int(env, 'AUDIENCE_LEASE_MS', 60_000, 1000, 3_600_000),
    queries: {
      timeoutMs: int(env, 'QUERY_TIMEOUT_MS', 30_000, 1, 3_600_000),
      perOrganization: int(env, 'QUERY_CONCURRENCY_PER_ORG', 1, 1, 1000),
      queuePerOrganization: int(env, 'QUERY_QUEUE_PER_ORG', 8, 0, 10_000),
    },
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 100, 600_000),
    ingestLimits: {
      pixel: rate(env, 'INGEST_RATE_PER_PIXEL', 'INGEST_BURST_PER_PIXEL', 2000, 20_000),
      source: rate(env, 'INGEST_RATE_PER_SOURCE', 'INGEST_BURST_PER_SOURCE', 500, 5000),
    },
  };
}

/** A token bucket in events per second with its burst; a rate of 0 switches the limit off. */
function rate(env: Env, rateKey: string, burstKey: string, dfltRate: number, dfltBurst: number): RateSetting | null {
  const perSecond = int(env, rateKey, dfltRate, 0, 10_000_000);
  if (perSecond === 0) return null;
  // A burst below a full batch (100 events) would refuse every batch.
  const burst = int(env, burstKey, Math.max(dfltBurst, perSecond), 100, 100_000_000);
  if (burst < perSecond) throw new ConfigError(`${burstKey} must be at least ${rateKey} (${perSecond}), got ${burst}`);
  return { perSecond, burst };
}

/** Unset: the shipped data; `off`: none; otherwise comma-separated files, which must exist. */
function fileList(env: Env, key: string): readonly string[] | 'default' | null {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return 'default';
  if (raw === 'off') return null;
  const files = raw.split(',').map((f) => resolve(f.trim()));
  const missing = files.find((f) => !existsSync(f));
  if (missing) throw new ConfigError(`${key}: no such file ${missing}`);
  return files;
}
