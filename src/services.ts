// The composition root: builds every service once from config, choosing embedded or scale-out
// infrastructure. Two stages share one builder: the catalog services (accounts, members,
// organizations, credentials, projects, pixels) that the CLI and background workers use, and the
// full set that adds the analytics store and ingest for the server. buildApp() takes the result.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/service.js';
import { LoginThrottle } from './accounts/throttle.js';
import { ClickHouseAnalyticsStore } from './analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from './analytics/duckdb.js';
import { ThreadedDuckDbStore } from './analytics/duckdb-threaded.js';
import { GroupCommitter } from './analytics/group-commit.js';
import { QueryGate } from './analytics/query-gate.js';
import type { AnalyticsStore, BackgroundFailure } from './analytics/types.js';
import { AccessLogBuffer } from './api-keys/access-log.js';
import { ApiKeysService } from './api-keys/service.js';
import { AppsService } from './apps/service.js';
import { AudienceEvaluator } from './audiences/evaluate.js';
import { AudienceJobs } from './audiences/jobs.js';
import { AudiencesService } from './audiences/service.js';
import { Guards } from './auth/guards.js';
import { TokenService } from './auth/tokens.js';
import { Catalog } from './catalog/catalog.js';
import { openCatalog } from './catalog/db.js';
import { EventDeduper } from './collect/dedupe.js';
import { IngestService } from './collect/service.js';
import { DemoService } from './demo/service.js';
import { EventsService } from './events/service.js';
import { defaultIpDataPaths, openIpIntel } from './geo/service.js';
import { IdentityService } from './identity/service.js';
import { IdentityImportService } from './identity-import/service.js';
import { IntentService } from './intent/service.js';
import { LegacyClientsService } from './legacy-clients/service.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { MembersService } from './members/service.js';
import { OrganizationsService } from './organizations/service.js';
import { PixelsService } from './pixels/service.js';
import { backgroundFailureReporter } from './platform/background-failures.js';
import type { Config, RateSetting } from './platform/config.js';
import {
  type FailureCounter,
  type Marks,
  MemoryFailureCounter,
  MemoryMarks,
  MemoryRateLimiter,
  type RateLimiter,
} from './platform/limits.js';
import { Metrics } from './platform/metrics.js';
import { connectRedis, RedisFailureCounter, RedisMarks, RedisRateLimiter } from './platform/redis-limits.js';
import { StorageHealth } from './platform/storage.js';
import { createThrottles, type Throttles } from './platform/throttles.js';
import { ProjectsService } from './projects/service.js';
import { RetentionService } from './retention/service.js';
import { SessionsService } from './sessions/service.js';
import { StatsService } from './stats/service.js';
import { TaxonomyService } from './taxonomy/service.js';
import { TaxonomyStore } from './taxonomy/store.js';

export interface CatalogServices {
  config: Config;
  log: Logger;
  now: () => number;
  /** The catalog's stores; services only. Routes never receive it (test/architecture.test.ts checks). */
  catalog: Catalog;
  mailer: Mailer;
  tokens: TokenService;
  accounts: AccountsService;
  members: MembersService;
  organizations: OrganizationsService;
  sessions: SessionsService;
  apiKeys: ApiKeysService;
  legacyClients: LegacyClientsService;
  apps: AppsService;
  projects: ProjectsService;
  pixels: PixelsService;
  rateLimiter: RateLimiter;
  /** Budgets of the cheap abuse paths (reset mail, sign-up, per-person API use, wrong secrets). */
  throttles: Throttles;
  /** A token bucket of its own (`name` keeps its keys apart), shared through Redis when REDIS_URL is set. */
  makeRateLimiter(name: string, setting: RateSetting): RateLimiter;
  auth: Guards;
  taxonomy: TaxonomyService;
  close(): Promise<void>;
}

export interface Services extends CatalogServices {
  metrics: Metrics;
  analytics: AnalyticsStore;
  committer: GroupCommitter;
  ingest: IngestService;
  events: EventsService;
  identity: IdentityService;
  /** Deletes events older than their project's retention; the server runs it on a timer (retention/scheduler.ts). */
  retention: RetentionService;
  intent: IntentService;
  identityImports: IdentityImportService;
  /** Loads the demo dataset into an organization (dashboard button, admin API, `delivr demo`). */
  demo: DemoService;
  /** Audiences: definitions and lifecycle (the API), and the worker + scheduler that runs them (server.ts starts it). */
  audiences: AudiencesService;
  audienceJobs: AudienceJobs;
  /** Deadlines, per-organization shares and cancellation of events queries; closed first at shutdown. */
  queries: QueryGate;
  /** Whether writes fail for lack of space (platform/storage.ts): 507 answers and /readyz. */
  storage: StorageHealth;
  /** Readiness probes (for /readyz): resolve when the store answers, and when writes have room again. */
  health: { catalog: () => Promise<void>; analytics: () => Promise<void>; storage: () => Promise<void> };
  stats: StatsService;
}

export interface ServiceOptions {
  now?: () => number;
  defaultMetrics?: boolean;
  redisPrefix?: string;
  /** Replaces the configured mailer (the CLI wraps it to print links). */
  mailer?: Mailer;
  catalogPoolSize?: number;
}

/** ClickHouse when CLICKHOUSE_URL is set, otherwise an embedded DuckDB file under DATA_DIR. */
export function openAnalytics(
  config: Pick<Config, 'clickhouseUrl' | 'dataDir' | 'duckdbThread' | 'duckdbThreads' | 'statsFoldDelayMs'>,
  onBackgroundFailure?: BackgroundFailure,
): AnalyticsStore {
  if (config.clickhouseUrl) return new ClickHouseAnalyticsStore({ url: config.clickhouseUrl, onBackgroundFailure });
  return openDuckDb(join(config.dataDir, 'analytics.duckdb'), config, onBackgroundFailure);
}

/** The DuckDB store on `path` as the server opens it (its thread, DUCKDB_THREADS): benches measure this one. */
export function openDuckDb(
  path: string,
  config: Pick<Config, 'duckdbThread' | 'duckdbThreads' | 'statsFoldDelayMs'>,
  onBackgroundFailure?: BackgroundFailure,
): DuckDbAnalyticsStore | ThreadedDuckDbStore {
  const options = { config: { threads: String(config.duckdbThreads) }, statsFoldDelayMs: config.statsFoldDelayMs, onBackgroundFailure };
  return config.duckdbThread ? new ThreadedDuckDbStore(path, options) : new DuckDbAnalyticsStore(path, options);
}

/** Everything that lives in the catalog: what the CLI and workers need, without the analytics store. */
export async function createCatalogServices(config: Config, log: Logger, opts: ServiceOptions = {}): Promise<CatalogServices> {
  const now = opts.now ?? Date.now;
  const conn = await openCatalog({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    ...(opts.catalogPoolSize ? { poolSize: opts.catalogPoolSize } : {}),
  });
  const catalog = new Catalog(conn.db, conn.dialect);
  // The topic catalog is brought in line with the shipped IAB files at start (cheap when unchanged).
  const taxonomy = new TaxonomyService(new TaxonomyStore(conn.db, conn.dialect), now);
  await taxonomy.start();
  const mailer = opts.mailer ?? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, log });
  // One process: in-memory limits. Several: Redis, so limits hold across the fleet.
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : null;
  const prefixed = (name: string): string | undefined => (opts.redisPrefix ? `${opts.redisPrefix}${name}` : undefined);
  const windowMs = config.loginThrottle.windowSeconds * 1000;
  const loginFailures: FailureCounter = redis
    ? new RedisFailureCounter(redis, windowMs, prefixed('fail:'), now)
    : new MemoryFailureCounter(windowMs, now);
  const makeRateLimiter = (name: string, r: RateSetting): RateLimiter =>
    redis
      ? new RedisRateLimiter(redis, r.perSecond, r.burst, opts.redisPrefix ? `${opts.redisPrefix}${name}:` : `delivr:${name}:`, now)
      : new MemoryRateLimiter(r.perSecond, r.burst, now);
  const rateLimiter: RateLimiter = redis
    ? new RedisRateLimiter(redis, config.rateLimit.perSecond, config.rateLimit.burst, prefixed('rl:'), now)
    : new MemoryRateLimiter(config.rateLimit.perSecond, config.rateLimit.burst, now);

  const familiar: Marks = redis ? new RedisMarks(redis, prefixed('mark:')) : new MemoryMarks(now);
  const throttles = createThrottles(config.limits, redis, prefixed('budget:') ?? 'delivr:budget:', now);
  const throttle = new LoginThrottle({ failures: loginFailures, familiar, throttles, config, now });
  const tokens = new TokenService(config);
  const members = new MembersService({ catalog, mailer, config, throttle, log, now });
  const organizations = new OrganizationsService(catalog, members, config, now);
  const accounts = new AccountsService({ catalog, organizations, mailer, config, throttle, throttles, log, now });
  const sessions = new SessionsService(catalog, accounts, config, now);
  const accessLog = new AccessLogBuffer(catalog, log);
  const apiKeys = new ApiKeysService(catalog, accessLog, now);
  const apps = new AppsService(catalog, now);
  const pixels = new PixelsService(catalog, config, now);
  const auth = new Guards({ config, tokens, accounts, members, sessions, apiKeys, apps, rateLimiter, throttles });
  return {
    config,
    log,
    now,
    catalog,
    mailer,
    tokens,
    accounts,
    members,
    organizations,
    sessions,
    apiKeys,
    legacyClients: new LegacyClientsService(catalog, apiKeys, now),
    apps,
    // Archiving stops a project's pixels collecting: at once on this process, within 2 s on others.
    projects: new ProjectsService(catalog, now, () => pixels.forgetLive()),
    pixels,
    rateLimiter,
    throttles,
    makeRateLimiter,
    auth,
    taxonomy,
    async close() {
      await accessLog.flush();
      mailer.close();
      redis?.disconnect();
      await conn.db.destroy();
    },
  };
}

export async function createServices(config: Config, log: Logger, opts: ServiceOptions = {}): Promise<Services> {
  const core = await createCatalogServices(config, log, opts);
  const metrics = new Metrics({ defaultMetrics: opts.defaultMetrics ?? false });
  metrics.registry.registerMetric(core.throttles.refused);
  const storage = new StorageHealth(config.dataDir, (full) => metrics.storageFull.set(full ? 1 : 0));
  const analytics = openAnalytics(config, backgroundFailureReporter(log, metrics.backgroundFailures));
  await analytics.init();
  if (analytics.journalStats) metrics.watchJournal(() => analytics.journalStats?.() ?? Promise.resolve(null));
  // DuckDB commits cheaply: adaptive batching (flush at once when idle, batches grow while a flush
  // runs). ClickHouse wants few, large inserts: wait so rows gather (an acknowledgement still waits
  // for the insert that holds it).
  const clickhouse = analytics.engine === 'clickhouse';
  const committer = new GroupCommitter(analytics, {
    maxDelayMs: config.ingestMaxDelayMs ?? (clickhouse ? 500 : 0),
    maxRows: config.ingestMaxRows ?? (clickhouse ? 20_000 : 5000),
    // DuckDB acknowledges from its journal: the next flush goes while the store syncs the last one.
    maxInFlight: clickhouse ? 1 : 2,
    onFlush: (rows, ms) => {
      storage.noteSuccess();
      metrics.commitRows.observe(rows);
      metrics.commitSeconds.observe(ms / 1000);
    },
  });
  // DuckDB has one writing process, so its dedupe trusts what it has seen (collect/dedupe.ts).
  const deduper = new EventDeduper(analytics, { soleWriter: !clickhouse, now: core.now });
  // In the background: until it is done the dedupe asks the store, so starting need not wait.
  const warmStarted = Date.now();
  const warming = deduper
    .warm()
    .then((ids) => core.log.debug({ ids, ms: Date.now() - warmStarted }, 'ingest dedupe: recent event ids loaded'))
    .catch((err: unknown) => core.log.warn({ err }, 'ingest dedupe: could not load recent event ids; asking the store for each'));
  const shipped = config.ipData.location === 'default' || config.ipData.asn === 'default' ? defaultIpDataPaths() : null;
  const pick = (v: readonly string[] | 'default' | null, d: readonly string[] | null | undefined) => (v === 'default' ? (d ?? null) : v);
  const { location, asn } = config.ipData;
  const intel =
    location === null && asn === null ? null : openIpIntel({ location: pick(location, shipped?.location), asn: pick(asn, shipped?.asn) });
  const identity = new IdentityService(analytics, core.catalog.erasures, core.now);
  const intent = new IntentService(analytics, core.taxonomy, core.now, core.log);
  const identityImports = new IdentityImportService({
    imports: core.catalog.identityImports,
    analytics,
    config,
    log: core.log,
    now: core.now,
  });
  const evaluator = new AudienceEvaluator({
    analytics,
    intent,
    pixelIdsEver: (projectId) => core.pixels.pixelIdsEver(projectId),
    now: core.now,
  });
  const audienceJobs = new AudienceJobs({
    catalog: core.catalog,
    projects: core.projects,
    analytics,
    evaluator,
    log: core.log,
    now: core.now,
    leaseMs: config.audienceLeaseMs,
  });
  const audiences = new AudiencesService({
    catalog: core.catalog,
    projects: core.projects,
    taxonomy: core.taxonomy,
    analytics,
    evaluator,
    log: core.log,
    now: core.now,
    onQueued: () => audienceJobs.nudge(),
  });
  const queries = new QueryGate(config.queries, metrics);
  return {
    ...core,
    metrics,
    analytics,
    committer,
    retention: new RetentionService({
      catalog: core.catalog,
      projects: core.projects,
      pixels: core.pixels,
      analytics,
      metrics,
      log: core.log,
      now: core.now,
      intervalMs: config.retentionIntervalSeconds * 1000,
    }),
    intent,
    identityImports,
    demo: new DemoService({ catalog: core.catalog, projects: core.projects, pixels: core.pixels, analytics, intent, now: core.now }),
    audiences,
    audienceJobs,
    ingest: new IngestService(core.pixels, committer, metrics, config.ipMode, core.now, deduper, intel, identity, intent, {
      pixel: config.ingestLimits.pixel ? core.makeRateLimiter('ingest-pixel', config.ingestLimits.pixel) : null,
      source: config.ingestLimits.source ? core.makeRateLimiter('ingest-source', config.ingestLimits.source) : null,
    }),
    events: new EventsService(analytics, core.projects, core.pixels, queries),
    identity,
    queries,
    storage,
    stats: new StatsService(analytics, core.projects, core.pixels, queries, core.now),
    health: {
      catalog: () => core.catalog.ping(),
      analytics: async () => {
        await analytics.countEvents({ organizationId: '-', pixelIds: [], startMs: 0, endMs: 0 });
      },
      storage: () => storage.probe(),
    },
    async close() {
      // Queries still running are interrupted (server.ts gave them their drain time already).
      queries.close(0);
      await warming;
      await audienceJobs.stop();
      await identityImports.close();
      await committer.close();
      await analytics.close();
      await core.close();
    },
  };
}
