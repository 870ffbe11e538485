// Company domains as intent groups them: one rule in JavaScript (the company_domain parameter) and in
// SQL (stored profiles, checked by the analytics contract). Here: the JavaScript side and its edges.
import { describe, expect, it } from 'vitest';
import { isDomain, normalizeDomain } from '../../src/intent/domain.js';

describe('normalizeDomain', () => {
  it('drops case, surrounding space, scheme, www., port, path, query and fragment', () => {
    for (const raw of [
      'acme.com',
      'ACME.com',
      '  acme.com ',
      'https://www.Acme.com/',
      'http://acme.com:8080/x?y#z',
      'www.acme.com',
      'acme.com?ref=1',
      'acme.com#top',
    ]) {
      expect(normalizeDomain(raw), raw).toBe('acme.com');
    }
  });

  it('keeps subdomains other than www and the rest of the name', () => {
    expect(normalizeDomain('https://shop.acme.co.uk/path')).toBe('shop.acme.co.uk');
    expect(normalizeDomain('wwwacme.com')).toBe('wwwacme.com');
    expect(normalizeDomain('www2.acme.com')).toBe('www2.acme.com');
  });

  it('tells a usable domain from what is not one', () => {
    expect(isDomain('acme.com')).toBe(true);
    expect(isDomain('localhost')).toBe(true);
    expect(isDomain('bücher.example')).toBe(true);
    for (const bad of ['', 'a b.com', 'ann@acme.com', '.acme.com', 'acme.com.', 'x'.repeat(254)]) expect(isDomain(bad), bad).toBe(false);
    expect(isDomain(normalizeDomain(' / '))).toBe(false);
  });
});
