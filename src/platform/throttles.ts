// Budgets for the cheap abuse paths: password-reset mail, sign-up, the session and Partner APIs per
// person, and wrong secrets on a real API key. Each is a token bucket (a RateLimiter, in memory or in
// Redis so the budget holds across processes) sized by a LIMIT_* setting. A refusal is a 429 with
// Retry-After, and every refusal (sign-in delays included) is counted in /metrics by budget name.
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import type { AbuseLimits, Budget } from './config.js';
import { ApiError } from './errors.js';
import { MemoryRateLimiter, type RateLimiter } from './limits.js';
import { RedisRateLimiter } from './redis-limits.js';

export type BudgetName = keyof AbuseLimits;

/** What /metrics calls each budget (and `login`, the sign-in throttle's delays). */
const LABELS: Record<BudgetName, string> = {
  resetMailPerAddress: 'reset_mail_address',
  resetMailPerSource: 'reset_mail_source',
  signupPerSource: 'signup_source',
  dashboardPerUser: 'dashboard_user',
  partnerPerUser: 'partner_user',
  wrongSecretPerSource: 'wrong_secret_source',
  wrongSecretLogPerKey: 'wrong_secret_log_key',
};

export class Throttles {
  /** Registered into the app's metrics registry by the composition root. */
  readonly refused = new Counter({
    name: 'delivr_throttled_total',
    help: 'Requests refused (429), or wrong secrets left out of an access log, because a budget was spent, by budget (login: sign-in delays; organization: the data API limit)',
    labelNames: ['limit'] as const,
    registers: [],
  });

  constructor(private readonly limiters: Record<BudgetName, RateLimiter>) {}

  /** Spends one request of `name` for `key`; a 429 with Retry-After (and `details`) when none is left. */
  async take(name: BudgetName, key: string, details?: string): Promise<void> {
    const r = await this.limiters[name].take(key);
    if (r.allowed) return;
    this.refused.inc({ limit: LABELS[name] });
    throw new ApiError('rate_limited', details, { 'Retry-After': String(r.retryAfterSeconds) });
  }

  /** Spends one request of `name` for `key`; false (counted) when none is left, for budgets that refuse quietly. */
  async allows(name: BudgetName, key: string): Promise<boolean> {
    const r = await this.limiters[name].take(key);
    if (!r.allowed) this.refused.inc({ limit: LABELS[name] });
    return r.allowed;
  }

  /** Counts a refusal decided elsewhere: the sign-in throttle, the data API's per-organization limit. */
  count(label: 'login' | 'organization'): void {
    this.refused.inc({ limit: label });
  }
}

/** One bucket per budget: in Redis when there is one (shared by every process), else in memory. */
export function createThrottles(limits: AbuseLimits, redis: Redis | null, prefix: string, now: () => number): Throttles {
  const make = (name: BudgetName, b: Budget): RateLimiter => {
    const perSecond = b.count / b.perSeconds;
    return redis
      ? new RedisRateLimiter(redis, perSecond, b.count, `${prefix}${name}:`, now)
      : new MemoryRateLimiter(perSecond, b.count, now);
  };
  const names = Object.keys(LABELS) as BudgetName[];
  return new Throttles(Object.fromEntries(names.map((n) => [n, make(n, limits[n])])) as Record<BudgetName, RateLimiter>);
}
