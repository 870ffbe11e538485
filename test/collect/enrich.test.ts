// What ingest stores about a visitor's user agent: browser, OS, device type and the bot flag, for the
// agents that make most B2B traffic. The names are the ones ua-parser-js 2.x stored before the switch
// to the MIT-licensed 1.0 line (macOS, Chrome OS), except the mobile browsers, which 1.0 names like
// their desktop versions (the device type says mobile).
import { describe, expect, it } from 'vitest';
import { parseUa } from '../../src/collect/enrich.js';

describe('user agent enrichment', () => {
  it.each([
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      ['Chrome', 'Windows', 'desktop', false],
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
      ['Edge', 'Windows', 'desktop', false],
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      ['Safari', 'macOS', 'desktop', false],
    ],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0', ['Firefox', 'macOS', 'desktop', false]],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      ['Chrome', 'Linux', 'desktop', false],
    ],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', ['Firefox', 'Ubuntu', 'desktop', false]],
    [
      'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      ['Chrome', 'Chrome OS', 'desktop', false],
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      ['Mobile Safari', 'iOS', 'mobile', false],
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      ['Mobile Safari', 'iOS', 'tablet', false],
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
      ['Chrome', 'Android', 'mobile', false],
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-X910) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      ['Chrome', 'Android', 'tablet', false],
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
      ['Samsung Internet', 'Android', 'mobile', false],
    ],
    [
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
      ['Samsung Internet', 'Tizen', 'smarttv', false],
    ],
    [
      'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
      ['Safari', 'PlayStation', 'console', false],
    ],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', [null, null, 'bot', true]],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
      ['Chrome Headless', 'Windows', 'bot', true],
    ],
    ['curl/8.5.0', [null, null, 'bot', true]],
    ['', [null, null, 'bot', true]],
  ])('%s', (ua, [browser, os, device, bot]) => {
    expect(parseUa(ua)).toEqual({ browser, os, device, bot });
  });
});
