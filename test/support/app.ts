// Builds the real app for a test: a fresh temp DATA_DIR (SQLite catalog, outbox mail), captured
// structured logs, and the same composition root the server uses. Nothing is mocked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/platform/config.js';
import type { App } from '../../src/platform/http.js';
import { createLogger } from '../../src/platform/logger.js';
import { createServices, type Services } from '../../src/services.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  app: App;
  services: Services;
  dataDir: string;
  /** Every log line written so far, raw JSON text. */
  logs: string[];
  close(): Promise<void>;
}

/** `env.DATA_DIR` reuses a folder the caller owns (and removes); otherwise a fresh one, removed by close(). */
export async function makeTestApp(
  env: Record<string, string> = {},
  /** Adds to the app before it is ready (a benchmark's comparison route). */
  extend?: (app: App, services: Services) => void,
): Promise<TestApp> {
  const own = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'delivr-test-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const config = loadConfig({
    DATA_DIR: dataDir,
    PUBLIC_URL: 'http://delivr.test',
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    ...env,
  });
  const services = await createServices(config, createLogger(config.logLevel, sink));
  const app = await buildApp(services);
  extend?.(app, services);
  await app.ready();
  return {
    app,
    services,
    dataDir,
    logs,
    async close() {
      await app.close();
      if (own) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
