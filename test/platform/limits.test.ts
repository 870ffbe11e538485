// One suite for every rate limiter and login failure counter: the in-process versions always, the
// Redis versions too when REDIS_URL is set (CI), so both keep the same behaviour: token bucket
// refill, burst and window edges on an injected clock, and no drain when a clock steps back.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bucketResult,
  type FailureCounter,
  type Marks,
  MemoryFailureCounter,
  MemoryMarks,
  MemoryRateLimiter,
  type RateLimiter,
} from '../../src/platform/limits.js';
import { connectRedis, RedisFailureCounter, RedisMarks, RedisRateLimiter } from '../../src/platform/redis-limits.js';

type Clock = () => number;
interface Backend {
  name: string;
  limiter(perSecond: number, burst: number, clock: Clock): RateLimiter;
  counter(windowMs: number, clock: Clock): FailureCounter;
  marks(clock: Clock): Marks;
}

const backends: Backend[] = [
  {
    name: 'memory',
    limiter: (perSecond, burst, clock) => new MemoryRateLimiter(perSecond, burst, clock),
    counter: (windowMs, clock) => new MemoryFailureCounter(windowMs, clock),
    marks: (clock) => new MemoryMarks(clock),
  },
];
let redis: Redis | null = null;
if (process.env.REDIS_URL) {
  const r = connectRedis(process.env.REDIS_URL);
  redis = r;
  // A fresh key prefix per limiter, so the tests share nothing through the server.
  backends.push({
    name: 'redis',
    limiter: (perSecond, burst, clock) => new RedisRateLimiter(r, perSecond, burst, `delivr-test:${randomUUID()}:`, clock),
    counter: (windowMs, clock) => new RedisFailureCounter(r, windowMs, `delivr-test:${randomUUID()}:`, clock),
    // Redis expires marks on its own clock.
    marks: () => new RedisMarks(r, `delivr-test:${randomUUID()}:`),
  });
} else {
  console.log('limits: REDIS_URL is not set; the limiter suite runs on the in-process limiter only');
}
afterAll(() => redis?.disconnect());

const takeN = async (limiter: RateLimiter, key: string, n: number) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limiter.take(key));
  return out;
};

describe.each(backends)('rate limiter ($name)', ({ limiter: make }) => {
  it('allows a full burst at once, then refuses with the time until the next token', async () => {
    const t = 1_000_000;
    const limiter = make(10, 20, () => t);
    const results = await takeN(limiter, 'org:a', 21);
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    expect(results[0]).toEqual({ allowed: true, limit: 10, remaining: 19, resetSeconds: 1, retryAfterSeconds: 0 });
    expect(results[19]).toEqual({ allowed: true, limit: 10, remaining: 0, resetSeconds: 2, retryAfterSeconds: 0 });
    expect(results[20]).toEqual({ allowed: false, limit: 10, remaining: 0, resetSeconds: 2, retryAfterSeconds: 1 });
  });

  it('refills at the configured rate, in fractions, and never above the burst', async () => {
    let t = 5_000_000;
    const limiter = make(2, 4, () => t);
    await takeN(limiter, 'k', 4);
    expect((await limiter.take('k')).allowed).toBe(false);
    t += 250; // half a token
    expect((await limiter.take('k')).allowed).toBe(false);
    t += 250; // now one whole token
    expect(await limiter.take('k')).toMatchObject({ allowed: true, remaining: 0 });
    t += 60_000; // far longer than needed to fill up
    const after = await takeN(limiter, 'k', 5);
    expect(after.map((r) => r.allowed)).toEqual([true, true, true, true, false]);
  });

  it('keeps buckets apart per key', async () => {
    const limiter = make(1, 1, () => 0);
    expect((await limiter.take('org:a')).allowed).toBe(true);
    expect((await limiter.take('org:a')).allowed).toBe(false);
    expect((await limiter.take('org:b')).allowed).toBe(true);
  });

  it('gives Retry-After in whole seconds, at least 1, for slow refill rates', async () => {
    const limiter = make(1, 3, () => 0);
    const results = await takeN(limiter, 'k', 4);
    expect(results[3]).toMatchObject({ allowed: false, retryAfterSeconds: 1, resetSeconds: 3 });
  });

  it('does not drain the bucket when the clock steps back, nor refill twice when it catches up', async () => {
    let t = 10_000_000;
    const limiter = make(1, 5, () => t);
    await limiter.take('k');
    t -= 60_000;
    expect(await limiter.take('k')).toMatchObject({ allowed: true, remaining: 3 });
    t += 60_000;
    expect(await limiter.take('k')).toMatchObject({ allowed: true, remaining: 2 });
  });
});

describe.each(backends)('rate limiter with a cost ($name)', ({ limiter: make }) => {
  it('takes several tokens at once (an ingest batch counts its events), or none when fewer are left', async () => {
    let t = 2_000_000;
    const limiter = make(10, 100, () => t);
    expect(await limiter.take('pixel', 60)).toMatchObject({ allowed: true, remaining: 40 });
    // Refused whole: a batch of 60 does not take the 40 that are left.
    expect(await limiter.take('pixel', 60)).toMatchObject({ allowed: false, remaining: 40, retryAfterSeconds: 2 });
    expect(await limiter.take('pixel', 40)).toMatchObject({ allowed: true, remaining: 0 });
    t += 1000;
    expect(await limiter.take('pixel', 10)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.take('pixel')).allowed).toBe(false);
  });
});

describe.each(backends)('failure counter ($name)', ({ counter: make }) => {
  it('counts failures inside the window; one exactly a window old has expired', async () => {
    let t = 1_000;
    const counter = make(1000, () => t);
    await counter.fail('login:acct:a');
    t += 1;
    await counter.fail('login:acct:a');
    await counter.fail('login:acct:a');
    expect(await counter.count('login:acct:a')).toBe(3);
    t += 999; // the first failure is now exactly one window old
    expect(await counter.count('login:acct:a')).toBe(2);
    t += 1;
    expect(await counter.count('login:acct:a')).toBe(0);
  });

  it('gives the count and the time of the latest failure inside the window', async () => {
    let t = 5_000;
    const counter = make(1000, () => t);
    expect(await counter.state('k')).toEqual({ count: 0, lastAt: null });
    await counter.fail('k');
    t += 300;
    await counter.fail('k');
    expect(await counter.state('k')).toEqual({ count: 2, lastAt: 5_300 });
    t += 800; // the first has expired, the second has not
    expect(await counter.state('k')).toEqual({ count: 1, lastAt: 5_300 });
    t += 200;
    expect(await counter.state('k')).toEqual({ count: 0, lastAt: null });
  });

  it('keeps keys apart and forgets a key on reset', async () => {
    const counter = make(60_000, () => 0);
    await counter.fail('login:ip:1.2.3.4');
    await counter.fail('login:acct:b');
    await counter.reset('login:acct:b');
    expect(await counter.count('login:acct:b')).toBe(0);
    expect(await counter.count('login:ip:1.2.3.4')).toBe(1);
    expect(await counter.count('never-seen')).toBe(0);
  });
});

describe.each(backends)('marks ($name)', ({ name, marks: make }) => {
  it('remembers a key until its time is up, and keeps keys apart', async () => {
    let t = 1_000;
    const marks = make(() => t);
    const ttl = name === 'redis' ? 50 : 1000;
    await marks.mark('login:pair:1.2.3.4:a@example.com', ttl);
    expect(await marks.has('login:pair:1.2.3.4:a@example.com')).toBe(true);
    expect(await marks.has('login:pair:1.2.3.5:a@example.com')).toBe(false);
    t += 1000;
    // Redis keeps time itself: wait (bounded) until it has expired the mark.
    for (let i = 0; name === 'redis' && i < 100 && (await marks.has('login:pair:1.2.3.4:a@example.com')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await marks.has('login:pair:1.2.3.4:a@example.com')).toBe(false);
  });
});

describe('bucketResult', () => {
  it('rounds remaining down and reset up', () => {
    expect(bucketResult(true, 2.9, 25, 50)).toEqual({ allowed: true, limit: 25, remaining: 2, resetSeconds: 2, retryAfterSeconds: 0 });
    expect(bucketResult(false, 0.5, 1, 10)).toEqual({ allowed: false, limit: 1, remaining: 0, resetSeconds: 10, retryAfterSeconds: 1 });
    expect(bucketResult(false, 0.2, 0.5, 1).retryAfterSeconds).toBe(2);
    expect(bucketResult(true, 50, 25, 50).resetSeconds).toBe(0);
  });
});
