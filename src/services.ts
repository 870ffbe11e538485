// The composition root: builds every service once from config, choosing embedded or scale-out
// infrastructure. buildApp() takes the result, so tests can build apps around their own services.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/service.js';
import { ClickHouseAnalyticsStore } from './analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from './analytics/duckdb.js';
import { GroupCommitter } from './analytics/group-commit.js';
import type { AnalyticsStore } from './analytics/types.js';
import { TokenService } from './auth/tokens.js';
import { openCatalog } from './catalog/db.js';
import { CatalogStore } from './catalog/store.js';
import { IngestService } from './collect/service.js';
import { AccessLogBuffer } from './credentials/access-log.js';
import { CredentialsService } from './credentials/service.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import type { Config } from './platform/config.js';
import { type FailureCounter, MemoryFailureCounter, MemoryRateLimiter, type RateLimiter } from './platform/limits.js';
import { Metrics } from './platform/metrics.js';
import { connectRedis, RedisFailureCounter, RedisRateLimiter } from './platform/redis-limits.js';
import { ProjectsService } from './projects/service.js';
import { TaxonomyService } from './taxonomy/service.js';
import { TaxonomyStore } from './taxonomy/store.js';

export interface Services {
  config: Config;
  log: Logger;
  now: () => number;
  store: CatalogStore;
  tokens: TokenService;
  mailer: Mailer;
  accounts: AccountsService;
  credentials: CredentialsService;
  projects: ProjectsService;
  rateLimiter: RateLimiter;
  loginFailures: FailureCounter;
  accessLog: AccessLogBuffer;
  metrics: Metrics;
  analytics: AnalyticsStore;
  committer: GroupCommitter;
  ingest: IngestService;
  taxonomy: TaxonomyService;
  close(): Promise<void>;
}

/** ClickHouse when CLICKHOUSE_URL is set, otherwise an embedded DuckDB file under DATA_DIR. */
export function openAnalytics(config: Pick<Config, 'clickhouseUrl' | 'dataDir'>): AnalyticsStore {
  return config.clickhouseUrl
    ? new ClickHouseAnalyticsStore({ url: config.clickhouseUrl })
    : new DuckDbAnalyticsStore(join(config.dataDir, 'analytics.duckdb'));
}

export async function createServices(
  config: Config,
  log: Logger,
  opts: { now?: () => number; defaultMetrics?: boolean; redisPrefix?: string } = {},
): Promise<Services> {
  const now = opts.now ?? Date.now;
  const catalog = await openCatalog({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const store = new CatalogStore(catalog.db, catalog.dialect);
  const taxonomy = new TaxonomyService(new TaxonomyStore(catalog.db, catalog.dialect), now);
  await taxonomy.start();
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, log });
  // One process: in-memory limits. Several: Redis, so limits hold across the fleet.
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : null;
  const windowMs = config.loginThrottle.windowSeconds * 1000;
  const loginFailures: FailureCounter = redis
    ? new RedisFailureCounter(redis, windowMs, opts.redisPrefix ? `${opts.redisPrefix}fail:` : undefined, now)
    : new MemoryFailureCounter(windowMs, now);
  const rateLimiter: RateLimiter = redis
    ? new RedisRateLimiter(
        redis,
        config.rateLimit.perSecond,
        config.rateLimit.burst,
        opts.redisPrefix ? `${opts.redisPrefix}rl:` : undefined,
        now,
      )
    : new MemoryRateLimiter(config.rateLimit.perSecond, config.rateLimit.burst, now);
  const accessLog = new AccessLogBuffer(store, log);
  const metrics = new Metrics({ defaultMetrics: opts.defaultMetrics ?? false });
  const analytics = openAnalytics(config);
  await analytics.init();
  // DuckDB commits cheaply: flush every few ms. ClickHouse wants few, large inserts: wait longer so
  // rows gather (an acknowledgement still waits for the insert that holds it).
  const clickhouse = analytics.engine === 'clickhouse';
  const committer = new GroupCommitter(analytics, {
    maxDelayMs: config.ingestMaxDelayMs ?? (clickhouse ? 500 : 5),
    maxRows: config.ingestMaxRows ?? (clickhouse ? 20_000 : 5000),
    onFlush: (rows, ms) => {
      metrics.commitRows.observe(rows);
      metrics.commitSeconds.observe(ms / 1000);
    },
  });
  const ingest = new IngestService(store, committer, metrics, config.ipMode, now);
  return {
    config,
    log,
    now,
    store,
    tokens: new TokenService(config),
    mailer,
    accounts: new AccountsService({ store, mailer, config, failures: loginFailures, log, now }),
    credentials: new CredentialsService(store, now),
    projects: new ProjectsService(store, config.publicUrl, now),
    rateLimiter,
    loginFailures,
    accessLog,
    metrics,
    analytics,
    committer,
    ingest,
    taxonomy,
    async close() {
      await committer.close();
      await analytics.close();
      await accessLog.flush();
      mailer.close();
      redis?.disconnect();
      await catalog.db.destroy();
    },
  };
}
