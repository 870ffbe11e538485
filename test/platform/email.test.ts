// Email normalisation is the one definition of "the same person" (user lookup, invites, HEM hashing):
// trim and lowercase, nothing cleverer. The shape check is deliberately loose; these are its edges.
import { describe, expect, it } from 'vitest';
import { isEmailLike, normalizeEmail } from '../../src/identity/email.js';

describe('normalizeEmail', () => {
  it('trims surrounding whitespace and lowercases', () => {
    expect(normalizeEmail('  Ann@Example.COM ')).toBe('ann@example.com');
    expect(normalizeEmail('\tann@example.com\r\n')).toBe('ann@example.com');
    expect(normalizeEmail('\u00a0ann@example.com\u00a0')).toBe('ann@example.com');
    expect(normalizeEmail('ÄNN@BÜRO.DE')).toBe('änn@büro.de');
  });

  it('keeps everything else as typed: dots, plus tags and inner spaces are not rewritten', () => {
    expect(normalizeEmail('first.last+news@gmail.com')).toBe('first.last+news@gmail.com');
    expect(normalizeEmail('a b@example.com')).toBe('a b@example.com');
  });

  it('is idempotent', () => {
    for (const raw of ['  MiXeD@Case.Org', 'plain@example.com', 'ÄNN@BÜRO.DE ']) {
      expect(normalizeEmail(normalizeEmail(raw))).toBe(normalizeEmail(raw));
    }
  });
});

describe('isEmailLike', () => {
  it.each(['ann@example.com', 'first.last+tag@sub.example.co.uk', 'änn@büro.de', 'a@b.c', "o'brien@example.ie"])('accepts %s', (email) => {
    expect(isEmailLike(email)).toBe(true);
  });

  it.each([
    '',
    'ann',
    'ann@',
    '@example.com',
    'ann@example',
    'ann@example.',
    'ann@.com',
    'ann@@example.com',
    'ann@exa@mple.com',
    'a nn@example.com',
    'ann@example.com ',
    `${'a'.repeat(243)}@example.com`,
  ])('refuses %j', (email) => {
    expect(isEmailLike(email)).toBe(false);
  });

  it('allows exactly 254 characters', () => {
    const local = 'a'.repeat(254 - '@example.com'.length);
    expect(isEmailLike(`${local}@example.com`)).toBe(true);
  });
});
