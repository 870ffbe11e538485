// What the operator sees of background work that failed: the analytics stores' folds, sorts and
// day-rollup builds run behind the requests, are retried by themselves and leave reads exact, so
// their failures reach no caller. Each one is counted (delivr_analytics_background_failures_total,
// by task) and logged as a warning with its error: the first failure of a task at once, then at
// most one line per task per interval saying how many failed since, so a fold retried every few
// seconds against a broken table does not fill the log.

import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { BackgroundFailure } from '../analytics/types.js';

/** Longest a task's repeated failures go without a log line. */
export const FAILURE_LOG_INTERVAL_MS = 60_000;

export function backgroundFailureReporter(
  log: Pick<Logger, 'warn'>,
  counter: Pick<Counter<'task'>, 'inc'>,
  now: () => number = Date.now,
  intervalMs: number = FAILURE_LOG_INTERVAL_MS,
): BackgroundFailure {
  const tasks = new Map<string, { loggedAt: number; unlogged: number }>();
  return (task, err) => {
    counter.inc({ task });
    const t = now();
    const seen = tasks.get(task);
    if (seen && t - seen.loggedAt < intervalMs) {
      seen.unlogged += 1;
      return;
    }
    const since = seen?.unlogged ?? 0;
    tasks.set(task, { loggedAt: t, unlogged: 0 });
    log.warn(
      { err, task, ...(since > 0 ? { failed_since_last_line: since } : {}) },
      `analytics: background ${task} failed; it is retried by itself, and reads stay exact meanwhile`,
    );
  };
}
