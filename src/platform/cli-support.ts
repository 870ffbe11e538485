// What the CLI's commands that reach the analytics store share: opening it outside the server with a
// clear message when the server holds the embedded DuckDB file, and reading the server's error bodies
// back into the error catalogue when they go through the server's HTTP API instead.
import type { AnalyticsStore } from '../analytics/types.js';
import type { Config } from './config.js';
import { ApiError, ERRORS, type ErrorCode, fail } from './errors.js';

/**
 * Opens and initialises the configured analytics store in this process. DuckDB allows one process
 * per file: when the running server has it, fail with `unavailable` and `hint` (how to do it through the server).
 */
export async function openStoreHere<C extends Pick<Config, 'clickhouseUrl' | 'dataDir'>>(
  config: C,
  open: (c: C) => AnalyticsStore,
  hint: string,
): Promise<AnalyticsStore> {
  const analytics = open(config);
  try {
    await analytics.init();
    return analytics;
  } catch (err) {
    await analytics.close().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    if (/Could not set lock|Conflicting lock/i.test(message)) {
      throw fail('unavailable', `the analytics store (DuckDB) is open in another process, most likely the running server: ${hint}`);
    }
    throw err;
  }
}

/** The server's error body as an ApiError of the catalogue when it names a known code. */
export async function apiErrorOf(res: Response): Promise<Error> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: string; code?: string; details?: string };
    if (body.code && body.code in ERRORS) return new ApiError(body.code as ErrorCode, body.details);
    if (body.error) return new Error(`the server answered ${res.status}: ${body.error}`);
  } catch {
    // not JSON: fall through
  }
  return new Error(`the server answered ${res.status}: ${text.slice(0, 200)}`);
}

/** Why a fetch failed ("connect ECONNREFUSED ..."), from its cause. */
export const causeOf = (err: unknown): string => {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
};
