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
import { GroupCommitter } from './analytics/group-commit.js';
import type { AnalyticsStore } from './analytics/types.js';
import { AccessLogBuffer } from './api-keys/access-log.js';
import { ApiKeysService } from './api-keys/service.js';
import { AppsService } from './apps/service.js';
import { Guards } from './auth/guards.js';
import { TokenService } from './auth/tokens.js';
import { Catalog } from './catalog/catalog.js';
import { openCatalog } from './catalog/db.js';
import { EventDeduper } from './collect/dedupe.js';
import { IngestService } from './collect/service.js';
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
import type { Config } from './platform/config.js';
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
  stats: StatsService;
  /** Readiness probes of the two stores (for /readyz): resolve when the store answers. */
  health: { catalog: () => Promise<void>; analytics: () => Promise<void> };
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
export function openAnalytics(config: Pick<Config, 'clickhouseUrl' | 'dataDir'>): AnalyticsStore {
  return config.clickhouseUrl
    ? new ClickHouseAnalyticsStore({ url: config.clickhouseUrl })
    : new DuckDbAnalyticsStore(join(config.dataDir, 'analytics.duckdb'));
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
  const identity = new IdentityService(analytics);
  const intent = new IntentService(analytics, core.taxonomy, core.now, core.log);
  const identityImports = new IdentityImportService({
    imports: core.catalog.identityImports,
    analytics,
    config,
    log: core.log,
    now: core.now,
  });
  return {
    ...core,
    metrics,
    analytics,
    committer,
    ingest: new IngestService(core.pixels, committer, metrics, config.ipMode, core.now, deduper, intel, identity, intent),
    events: new EventsService(analytics, core.projects, core.pixels),
    identity,
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
    stats: new StatsService(analytics, core.projects, core.pixels, core.now),
    health: {
      catalog: () => core.catalog.ping(),
      analytics: async () => {
        await analytics.countEvents({ organizationId: '-', pixelIds: [], startMs: 0, endMs: 0 });
      },
    },
    async close() {
      await warming;
      await identityImports.close();
      await committer.close();
      await analytics.close();
      await core.close();
    },
  };
}
