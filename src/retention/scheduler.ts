// Starts the retention pass on a timer in the server process (never in tests unless they ask, and
// not at all with RETENTION_INTERVAL_SECONDS=0). Each process checks every few minutes whether a
// pass is due; the catalog lease (retention/service.ts) makes one process run it once per interval,
// so restarts and extra processes neither skip nor repeat passes. Timers are unref'd: they never
// keep a process alive, and stop() waits for a running pass to finish its current project.
import type { Logger } from 'pino';
import type { RetentionService } from './service.js';

/** How often a process asks whether a pass is due, at most. */
const CHECK_EVERY_MS = 5 * 60_000;
/** The first check waits a little, so starting the server is not slowed by a pass. */
const FIRST_CHECK_MS = 10_000;

export interface RetentionScheduler {
  stop(): Promise<void>;
}

export function startRetentionScheduler(retention: RetentionService, intervalMs: number, log: Logger): RetentionScheduler {
  if (intervalMs <= 0) {
    log.info('retention: scheduler off (RETENTION_INTERVAL_SECONDS=0)');
    return { stop: async () => undefined };
  }
  const every = Math.min(intervalMs, CHECK_EVERY_MS);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const tick = (): void => {
    running = retention
      .runOnce()
      .catch((err: unknown) => log.error({ err }, 'retention: pass failed; the next one tries again'))
      .finally(() => {
        if (!stopped) schedule(every);
      });
  };
  const schedule = (ms: number): void => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };

  schedule(Math.min(every, FIRST_CHECK_MS));
  log.info({ interval_seconds: intervalMs / 1000 }, 'retention: scheduler started');
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      retention.stop();
      await running;
    },
  };
}
