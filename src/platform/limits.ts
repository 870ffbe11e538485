// Rate limiting and login throttling. The in-process versions here are the embedded default; a Redis
// version with the same interface shares the counts across processes (see platform/redis-limits.ts).

export interface BucketResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one request is allowed again (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from the bucket named `key`, or none when fewer are left. */
  take(key: string, cost?: number): Promise<BucketResult>;
}

export interface FailureCounter {
  /** Failures recorded for `key` within the window. */
  count(key: string): Promise<number>;
  /** The count and the time of the latest failure (null when none), for delays that grow with each failure. */
  state(key: string): Promise<FailureState>;
  fail(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export interface FailureState {
  count: number;
  lastAt: number | null;
}

/** Keys remembered for a while (a client address that signed in to an account before). */
export interface Marks {
  mark(key: string, ttlMs: number): Promise<void>;
  has(key: string): Promise<boolean>;
}

/** Token bucket: `perSecond` refill, `burst` capacity. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string, cost = 1): Promise<BucketResult> {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    // A clock that steps back (NTP) must not drain the bucket: elapsed time is never negative.
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.perSecond);
    b.at = Math.max(b.at, t);
    const allowed = b.tokens >= cost;
    if (allowed) b.tokens -= cost;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.sweep(t);
    return bucketResult(allowed, b.tokens, this.perSecond, this.burst, cost);
  }

  private sweep(t: number): void {
    const fullAfterMs = (this.burst / this.perSecond) * 1000;
    for (const [k, v] of this.buckets) if (t - v.at > fullAfterMs) this.buckets.delete(k);
  }
}

export function bucketResult(allowed: boolean, tokens: number, perSecond: number, burst: number, cost = 1): BucketResult {
  return {
    allowed,
    limit: perSecond,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((burst - tokens) / perSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((Math.min(cost, burst) - tokens) / perSecond)),
  };
}

/** Sliding-window failure counter kept in memory. */
export class MemoryFailureCounter implements FailureCounter {
  private readonly failures = new Map<string, number[]>();
  private sweepAt = 100_000;
  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async count(key: string): Promise<number> {
    return this.live(key).length;
  }

  async state(key: string): Promise<FailureState> {
    const list = this.live(key);
    return { count: list.length, lastAt: list.at(-1) ?? null };
  }

  async fail(key: string): Promise<void> {
    const list = this.live(key);
    list.push(this.now());
    this.failures.set(key, list);
    // Keys nobody asks about again (a sprayed list of emails) would otherwise stay forever. Sweeping
    // only when the map has doubled keeps the cost per failure constant.
    if (this.failures.size > this.sweepAt) {
      for (const k of [...this.failures.keys()]) this.live(k);
      this.sweepAt = Math.max(100_000, this.failures.size * 2);
    }
  }

  async reset(key: string): Promise<void> {
    this.failures.delete(key);
  }

  private live(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}

/** Marks kept in memory until they expire. */
export class MemoryMarks implements Marks {
  private readonly marks = new Map<string, number>();
  private sweepAt = 100_000;
  constructor(private readonly now: () => number = Date.now) {}

  async mark(key: string, ttlMs: number): Promise<void> {
    this.marks.delete(key);
    this.marks.set(key, this.now() + ttlMs);
    if (this.marks.size > this.sweepAt) {
      const t = this.now();
      for (const [k, until] of this.marks) if (until <= t) this.marks.delete(k);
      this.sweepAt = Math.max(100_000, this.marks.size * 2);
    }
  }

  async has(key: string): Promise<boolean> {
    const until = this.marks.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.marks.delete(key);
    return false;
  }
}
