// The per-request logger: lines at levels the server writes carry the request id and are redacted as
// before; lines at other levels are dropped without building pino's child (the point of being lazy).
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, LazyRequestLogger } from '../../src/platform/logger.js';

function capture(level: string): { log: Logger; lines: () => Record<string, unknown>[]; children: () => number } {
  const out: string[] = [];
  const log = createLogger(
    level,
    new Writable({
      write(chunk, _enc, done) {
        out.push(String(chunk));
        done();
      },
    }),
  );
  let children = 0;
  // Counts children made from any logger of this tree (pino's children inherit `child` from their parent).
  const child = log.child;
  log.child = function (this: Logger, ...a: Parameters<Logger['child']>) {
    children += 1;
    return child.apply(this, a);
  } as Logger['child'];
  return {
    log,
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    children: () => children,
  };
}

describe('LazyRequestLogger', () => {
  it('drops lines below the level without making the child, and writes the others with the request id', () => {
    const c = capture('warn');
    const req = new LazyRequestLogger(c.log, { reqId: 'r-1' });
    req.info('incoming request');
    req.debug({ a: 1 }, 'detail');
    expect(c.lines()).toEqual([]);
    expect(c.children()).toBe(0);
    req.warn({ code: 'x' }, 'slow');
    req.error('failed');
    expect(c.children()).toBe(1);
    expect(c.lines().map((l) => [l.reqId, l.msg, l.code])).toEqual([
      ['r-1', 'slow', 'x'],
      ['r-1', 'failed', undefined],
    ]);
  });

  it('keeps redaction, the level and nested children', () => {
    const c = capture('info');
    const req = new LazyRequestLogger(c.log, { reqId: 'r-2' });
    expect(req.level).toBe('info');
    req.info({ user: { password: 'hunter2' }, creds: { token: 'secret-token' } }, 'incoming');
    req.child({ part: 'inner' }).info('nested');
    const [first, second] = c.lines();
    expect(JSON.stringify(first)).not.toContain('secret-token');
    expect(JSON.stringify(first)).not.toContain('hunter2');
    expect(first?.reqId).toBe('r-2');
    expect(second).toMatchObject({ reqId: 'r-2', part: 'inner', msg: 'nested' });
    req.level = 'error';
    req.warn('now dropped');
    expect(c.lines()).toHaveLength(2);
  });
});
