// Password hashing, the constant-time helpers and time-ordered ids. Right and wrong passwords, a
// missing user, and stored hashes that are damaged or not ours must all answer "no" without throwing
// (a throw was a 500 at login; an empty stored hash once matched every password).
import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  hashToken,
  randomHex,
  randomToken,
  safeEqual,
  sha256Hex,
  tokenMatches,
  uuidv7,
  verifyPassword,
} from '../../src/platform/crypto.js';

describe('hashPassword / verifyPassword', () => {
  it('stores scrypt with its parameters and a random salt, and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('correct horse battery staple')).not.toBe(stored);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('handles any characters, including non-ASCII and very long passwords', async () => {
    const password = `pässwörd-日本語-🦆-${'x'.repeat(256)}`;
    const stored = await hashPassword(password);
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword(password.normalize('NFD'), stored)).toBe(false);
  });

  it('answers false for a missing user after doing the same work', async () => {
    const stored = await hashPassword('pw-12345678');
    const time = async (work: () => Promise<unknown>): Promise<number> => {
      const t0 = performance.now();
      await work();
      return performance.now() - t0;
    };
    // Alternating runs and medians, so a burst of load on a shared machine hits both sides alike.
    const missing: number[] = [];
    const real: number[] = [];
    for (let i = 0; i < 5; i++) {
      missing.push(await time(async () => expect(await verifyPassword('pw-12345678', null)).toBe(false)));
      real.push(await time(() => verifyPassword('pw-12345678', stored)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2] as number;
    // Both run one scrypt of the same cost (a missing user's check is not a shortcut).
    expect(median(missing)).toBeGreaterThan(median(real) / 3);
  });

  it('answers false, never throws, for malformed or foreign stored hashes', async () => {
    const good = await hashPassword('pw-12345678');
    const [, n, r, p, salt, hash] = good.split('$') as [string, string, string, string, string, string];
    const malformed = [
      '',
      'garbage',
      '$2b$10$abcdefghijklmnopqrstuuQ9m3uVh0c6bYqS7kH2v0tQ1Yl8xRzJ2',
      ['scrypt', n, r, p, salt].join('$'),
      ['scrypt', n, r, p, salt, hash, 'extra'].join('$'),
      ['bcrypt', n, r, p, salt, hash].join('$'),
      ['scrypt', 'abc', r, p, salt, hash].join('$'),
      ['scrypt', '3', r, p, salt, hash].join('$'),
      ['scrypt', '0', r, p, salt, hash].join('$'),
      ['scrypt', String(2 ** 30), r, p, salt, hash].join('$'),
      ['scrypt', n, '0', p, salt, hash].join('$'),
      ['scrypt', n, r, '-1', salt, hash].join('$'),
      ['scrypt', n, r, p, '', hash].join('$'),
      ['scrypt', n, r, p, salt, ''].join('$'),
      ['scrypt', n, r, p, salt, '!!!!'].join('$'),
      ['scrypt', n, r, p, salt, 'AAAA'].join('$'),
      ['scrypt', n, r, p, salt, `${hash}=`].join('$'),
    ];
    for (const stored of malformed) {
      await expect(verifyPassword('pw-12345678', stored), stored).resolves.toBe(false);
      await expect(verifyPassword('', stored), stored).resolves.toBe(false);
    }
  });
});

describe('safeEqual', () => {
  it('compares by value, whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('abcd', 'abc')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
    expect(safeEqual('ü', 'ü')).toBe(true);
    // Same length in characters, different in bytes.
    expect(safeEqual('ü', 'u')).toBe(false);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});

describe('tokens', () => {
  it('hashes with SHA-256 hex and matches only the same token', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('abc')).toBe(sha256Hex('abc'));
    expect(tokenMatches('abc', hashToken('abc'))).toBe(true);
    expect(tokenMatches('abd', hashToken('abc'))).toBe(false);
    expect(tokenMatches('abc', '')).toBe(false);
  });

  it('makes random tokens of the asked size, different each time', () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomHex(24)).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(Array.from({ length: 100 }, () => randomToken())).size).toBe(100);
  });
});

describe('uuidv7', () => {
  const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is a version 7, variant 1 UUID carrying the millisecond time', () => {
    const now = Date.UTC(2026, 0, 1);
    const id = uuidv7(now + 1_000_000);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(now + 1_000_000);
  });

  it('sorts in the order made, within one millisecond, past the counter, and when the clock steps back', () => {
    const now = Date.UTC(2027, 0, 1);
    const ids = [
      ...Array.from({ length: 5000 }, () => uuidv7(now)),
      ...Array.from({ length: 10 }, () => uuidv7(now - 60_000)),
      uuidv7(now + 10_000),
    ];
    for (const id of ids) expect(id).toMatch(V7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
