// The reference classification of a visit's source and channel (src/stats/sources.ts), which the
// engines' SQL must agree with (the stats contract checks them against it on generated data).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyVisit, hostOf, NAMED_SOURCES, sourcePattern } from '../../src/stats/sources.js';

const visit = (referrer: string, extra: Partial<Parameters<typeof classifyVisit>[0]> = {}) =>
  classifyVisit({ referrer, url: 'https://www.acme.example/pricing', utm_source: '', utm_medium: '', utm_campaign: '', ...extra });

describe('visit sources', () => {
  it('reads hosts the way the SQL does: scheme, credentials, port, case and a leading www.', () => {
    expect(hostOf('https://user:pw@WWW.Google.DE:443/search?q=1')).toBe('google.de');
    expect(hostOf('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
    expect(hostOf('not a url')).toBe('');
    expect(hostOf('')).toBe('');
  });

  it('names search engines, social networks and webmail, country domains included', () => {
    expect(visit('https://www.google.com/')).toEqual({ referrer: 'google.com', source: 'Google', channel: 'Search' });
    expect(visit('https://www.google.co.uk/')).toMatchObject({ source: 'Google', channel: 'Search' });
    expect(visit('https://mail.google.com/mail/u/0/')).toMatchObject({ source: 'Gmail', channel: 'Email' });
    expect(visit('https://lnkd.in/abc')).toMatchObject({ source: 'LinkedIn', channel: 'Social' });
    expect(visit('https://t.co/xyz')).toMatchObject({ source: 'X', channel: 'Social' });
    expect(visit('https://news.ycombinator.com/item?id=1')).toMatchObject({ source: 'Hacker News', channel: 'Social' });
    // A domain's lookalike is not the domain.
    expect(visit('https://notgoogle.com/')).toMatchObject({ source: 'notgoogle.com', channel: 'Referral' });
  });

  it('treats the site itself and no referrer as direct, and falls back to utm_source', () => {
    expect(visit('https://acme.example/')).toEqual({ referrer: '', source: 'Direct / None', channel: 'Direct' });
    expect(visit('')).toMatchObject({ source: 'Direct / None', channel: 'Direct' });
    expect(visit('', { utm_source: 'newsletter', utm_medium: 'email' })).toMatchObject({ source: 'newsletter', channel: 'Email' });
    expect(visit('', { utm_campaign: 'spring' })).toMatchObject({ source: 'Direct / None', channel: 'Campaign' });
  });

  it('puts paid mediums first, whatever the referrer', () => {
    expect(visit('https://www.google.com/', { utm_source: 'google', utm_medium: 'CPC' })).toMatchObject({
      source: 'Google',
      channel: 'Paid',
    });
    expect(visit('https://www.linkedin.com/', { utm_medium: 'paid_social' })).toMatchObject({ source: 'LinkedIn', channel: 'Paid' });
  });

  it('is the list docs/stats.md shows, in its order', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'stats.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| ([^|]+) \| (search|social|email) \| (.+) \|$/gm)];
    expect(rows.map((r) => r[1])).toEqual(NAMED_SOURCES.map((s) => s.name));
    for (const [i, s] of NAMED_SOURCES.entries()) {
      expect(rows[i]?.[2]).toBe(s.group);
      for (const domain of s.domains) expect(rows[i]?.[3], s.name).toContain(`\`${domain}\``);
    }
  });

  it('keeps every pattern valid RE2 and JavaScript alike (no lookaround or backreference)', () => {
    for (const s of NAMED_SOURCES) {
      const pattern = sourcePattern(s);
      expect(pattern).not.toMatch(/\(\?[=!<]|\\[1-9]/);
      for (const domain of s.domains) expect(new RegExp(pattern).test(domain), `${s.name}: ${domain}`).toBe(true);
    }
  });
});
