// Rate limits and login throttling shared by every server process through Redis (REDIS_URL). The
// token bucket runs as one Lua script so concurrent processes never race on a read-modify-write;
// the failure counter is a sorted set per key, trimmed to the window.
import { Redis } from 'ioredis';
import { type BucketResult, bucketResult, type FailureCounter, type FailureState, type Marks, type RateLimiter } from './limits.js';

const TAKE = `
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = burst; at = now end
-- Processes' clocks differ and step back (NTP): elapsed time is never negative, and the bucket keeps
-- the latest time any process saw, so a server running behind is never refused where the memory
-- limiter would allow.
tokens = math.min(burst, tokens + (math.max(0, now - at) / 1000) * rate)
at = math.max(at, now)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`;

export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
}

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly prefix = 'delivr:rl:',
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string, cost = 1): Promise<BucketResult> {
    const r = (await this.redis.eval(TAKE, 1, this.prefix + key, this.perSecond, this.burst, this.now(), cost)) as [number, string];
    return bucketResult(r[0] === 1, Number(r[1]), this.perSecond, this.burst, cost);
  }
}

export class RedisFailureCounter implements FailureCounter {
  constructor(
    private readonly redis: Redis,
    private readonly windowMs: number,
    private readonly prefix = 'delivr:fail:',
    private readonly now: () => number = Date.now,
  ) {}

  async count(key: string): Promise<number> {
    const k = this.prefix + key;
    await this.redis.zremrangebyscore(k, 0, this.now() - this.windowMs);
    return this.redis.zcard(k);
  }

  async state(key: string): Promise<FailureState> {
    const k = this.prefix + key;
    const r = await this.redis
      .multi()
      .zremrangebyscore(k, 0, this.now() - this.windowMs)
      .zcard(k)
      .zrange(k, '-1', '-1', 'WITHSCORES')
      .exec();
    const count = Number(r?.[1]?.[1] ?? 0);
    const last = (r?.[2]?.[1] ?? []) as string[];
    return { count, lastAt: last[1] === undefined ? null : Number(last[1]) };
  }

  async fail(key: string): Promise<void> {
    const k = this.prefix + key;
    const t = this.now();
    await this.redis.multi().zadd(k, t, `${t}:${Math.random()}`).pexpire(k, this.windowMs).exec();
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

export class RedisMarks implements Marks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'delivr:mark:',
  ) {}

  async mark(key: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, '1', 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(this.prefix + key)) === 1;
  }
}
