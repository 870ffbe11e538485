// The Redis limiter and failure counter, shared by two independent clients as two server processes
// would share them. Runs when REDIS_URL is set (CI); otherwise says it skipped. The behaviour both
// limiters share (burst, refill, clock steps) is the suite in limits.test.ts, run on Redis there too.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, RedisFailureCounter, RedisRateLimiter } from '../../src/platform/redis-limits.js';

const url = process.env.REDIS_URL;
if (!url) console.log('redis-limits: REDIS_URL is not set; skipping the Redis limiter tests');

const takeN = async (limiter: RedisRateLimiter, key: string, n: number) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limiter.take(key));
  return out;
};

describe.skipIf(!url)('Redis rate limiter and failure counter', () => {
  const a = url ? connectRedis(url) : null;
  const b = url ? connectRedis(url) : null;
  const prefix = `delivr-test:${randomUUID()}:`;
  afterAll(() => {
    a?.disconnect();
    b?.disconnect();
  });

  it('one bucket across two processes: burst then refusals, refill with time, other keys unaffected', async () => {
    let t = 1_000_000;
    const clock = () => t;
    const p1 = new RedisRateLimiter(a!, 10, 20, prefix, clock);
    const p2 = new RedisRateLimiter(b!, 10, 20, prefix, clock);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? p1 : p2).take('org:x')));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    const refused = results.find((r) => !r.allowed);
    expect(refused).toMatchObject({ limit: 10, remaining: 0, retryAfterSeconds: 1 });
    expect((await p1.take('org:y')).allowed).toBe(true);
    t += 500; // 5 tokens back
    const after = await Promise.all(Array.from({ length: 6 }, () => p2.take('org:x')));
    expect(after.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('a process whose clock runs behind another is refused only when the shared bucket is empty', async () => {
    const t = 20_000_000;
    const ahead = new RedisRateLimiter(a!, 1, 5, prefix, () => t + 30_000);
    const behind = new RedisRateLimiter(b!, 1, 5, prefix, () => t);
    expect((await takeN(ahead, 'org:skew', 3)).every((r) => r.allowed)).toBe(true);
    // Two tokens are left; the slower clock must neither drain them nor see a refill it has not lived.
    expect((await takeN(behind, 'org:skew', 3)).map((r) => r.allowed)).toEqual([true, true, false]);
  });

  it('failure counter: counts within the window from either process, forgets after it, resets', async () => {
    let t = 5_000_000;
    const clock = () => t;
    const c1 = new RedisFailureCounter(a!, 1000, prefix, clock);
    const c2 = new RedisFailureCounter(b!, 1000, prefix, clock);
    await c1.fail('login:acct:x');
    await c2.fail('login:acct:x');
    t += 1;
    await c1.fail('login:acct:x');
    expect(await c2.count('login:acct:x')).toBe(3);
    t += 999; // the first two failures are now exactly one window old: expired
    expect(await c1.count('login:acct:x')).toBe(1);
    await c2.reset('login:acct:x');
    expect(await c1.count('login:acct:x')).toBe(0);
  });
});
