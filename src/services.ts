// The composition root: builds every service once from config, choosing embedded or scale-out
// infrastructure. buildApp() takes the result, so tests can build apps around their own services.
import type { Logger } from 'pino';
import { AccountsService } from './accounts/service.js';
import { TokenService } from './auth/tokens.js';
import { openCatalog } from './catalog/db.js';
import { CatalogStore } from './catalog/store.js';
import { AccessLogBuffer } from './credentials/access-log.js';
import { CredentialsService } from './credentials/service.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import type { Config } from './platform/config.js';
import { type FailureCounter, MemoryFailureCounter, MemoryRateLimiter, type RateLimiter } from './platform/limits.js';
import { ProjectsService } from './projects/service.js';

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
  close(): Promise<void>;
}

export async function createServices(config: Config, log: Logger, opts: { now?: () => number } = {}): Promise<Services> {
  const now = opts.now ?? Date.now;
  const catalog = await openCatalog({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const store = new CatalogStore(catalog.db, catalog.dialect);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, log });
  const loginFailures = new MemoryFailureCounter(config.loginThrottle.windowSeconds * 1000, now);
  const rateLimiter = new MemoryRateLimiter(config.rateLimit.perSecond, config.rateLimit.burst, now);
  const accessLog = new AccessLogBuffer(store, log);
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
    async close() {
      await accessLog.flush();
      mailer.close();
      await catalog.db.destroy();
    },
  };
}
