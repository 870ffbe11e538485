// Entry point: read config, build services and the app, listen, and shut down cleanly on signals.
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { loadEnvFile } from './platform/env-file.js';
import { createLogger } from './platform/logger.js';
import { unsupportedNode } from './platform/runtime.js';
import { startRetentionScheduler } from './retention/scheduler.js';
import { createServices } from './services.js';

async function main(): Promise<void> {
  const oldNode = unsupportedNode();
  if (oldNode) {
    process.stderr.write(`delivr: ${oldNode}\n`);
    process.exit(2);
  }
  let config: ReturnType<typeof loadConfig>;
  let envFile: string | null;
  try {
    envFile = loadEnvFile();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`delivr: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // Node's process metrics (CPU, memory, event loop lag, GC) on /metrics; tests build apps without them.
  const services = await createServices(config, log, { defaultMetrics: true });
  const app = await buildApp(services);
  await app.listen({ port: config.port, host: config.host });
  const retention = startRetentionScheduler(services.retention, config.retentionIntervalSeconds * 1000, log);
  services.audienceJobs.start(config.audiencePollMs);
  log.info(
    {
      catalog: config.databaseUrl ? 'postgres' : 'sqlite',
      envFile,
      dataDir: config.dataDir,
      publicUrl: config.publicUrl,
      signupMode: config.signupMode,
    },
    'delivr is ready',
  );
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      log.info({ signal }, 'shutting down');
      Promise.all([retention.stop(), services.audienceJobs.stop()])
        .then(() => app.close())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`delivr: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
