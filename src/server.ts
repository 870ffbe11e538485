// Entry point: read config, build services and the app, listen, and shut down cleanly on signals.
// Shutdown is bounded: SIGTERM stops taking requests, gives events queries in flight half of
// SHUTDOWN_GRACE_MS to finish (then interrupts them: they answer 503), and exits when the grace
// period is over whatever still hangs. A data folder that is full or read-only stops the start with
// one line, not a stack trace.
// First: V8's settings must hold before any other module allocates (platform/v8-flags.ts).
import './platform/v8-flags.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { loadEnvFile } from './platform/env-file.js';
import { createLogger } from './platform/logger.js';
import { unsupportedNode } from './platform/runtime.js';
import { checkDataDir, DataDirError, dataDirProblem } from './platform/storage.js';
import { lowerPoolThreads } from './platform/thread-priority.js';
import { startRetentionScheduler } from './retention/scheduler.js';
import { createServices } from './services.js';

function stop(line: string, code: number): never {
  process.stderr.write(`delivr: ${line}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const oldNode = unsupportedNode();
  if (oldNode) stop(oldNode, 2);
  let config: ReturnType<typeof loadConfig>;
  let envFile: string | null;
  try {
    envFile = loadEnvFile();
    config = loadConfig();
    checkDataDir(config.dataDir);
  } catch (err) {
    if (err instanceof ConfigError) stop(`configuration error: ${err.message}`, 2);
    if (err instanceof DataDirError) stop(err.message, 2);
    throw err;
  }
  const log = createLogger(config.logLevel);
  let services: Awaited<ReturnType<typeof createServices>>;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let poolThreads = 0;
  try {
    // Node's process metrics (CPU, memory, event loop lag, GC) on /metrics; tests build apps without them.
    services = await createServices(config, log, { defaultMetrics: true });
    // Once the stores are open (DuckDB has started its threads): background threads below the loop.
    poolThreads = await lowerPoolThreads(config.poolThreadNice);
    app = await buildApp(services);
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // Space can run out between the check and the stores' first writes.
    const problem = dataDirProblem(err, config.dataDir);
    if (problem) stop(problem, 2);
    throw err;
  }
  const retention = startRetentionScheduler(services.retention, config.retentionIntervalSeconds * 1000, log);
  services.audienceJobs.start(config.audiencePollMs);
  log.info(
    {
      catalog: config.databaseUrl ? 'postgres' : 'sqlite',
      envFile,
      dataDir: config.dataDir,
      publicUrl: config.publicUrl,
      signupMode: config.signupMode,
      poolThreads: { nice: config.poolThreadNice, set: poolThreads },
    },
    'delivr is ready',
  );
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      const grace = config.shutdownGraceMs;
      log.info({ signal, graceMs: grace }, 'shutting down');
      setTimeout(() => {
        log.error({ graceMs: grace }, 'shutdown did not finish within SHUTDOWN_GRACE_MS; exiting');
        process.exit(1);
      }, grace).unref();
      services.queries.close(Math.floor(grace / 2));
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
