// renderTracker puts customer-controlled strings into JavaScript served from our origin: these are
// the cases where a naive substitution would let a value break out of the script.
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_PLACEHOLDER, loadBuiltTracker, renderTracker, safeJson, type TrackerConfig } from '../../src/pixels/render.js';
import { buildTracker } from './build-tracker.js';

const config: TrackerConfig = {
  pixelId: '6d1c1d4e-8f7e-4b8a-9a51-1f2e3d4c5b6a',
  organizationId: 'a3f1c2d4-0000-4000-8000-000000000001',
  endpoint: 'https://ingest.example/pixel/core/api/send-event',
  respectPrivacySignals: true,
};

/** A stand-in for the build with the placeholder where p.ts has it. */
const stub = `var c=${CONFIG_PLACEHOLDER};`;
const evaluate = (script: string): unknown => runInNewContext(`${script};c`);

describe('renderTracker', () => {
  beforeAll(() => {
    buildTracker();
  });

  it('inlines the config positionally, in the order p.ts reads it', () => {
    expect(evaluate(renderTracker(stub, config))).toEqual([config.pixelId, config.organizationId, config.endpoint, true]);
    expect(evaluate(renderTracker(stub, { ...config, respectPrivacySignals: false }))).toEqual([
      config.pixelId,
      config.organizationId,
      config.endpoint,
      false,
    ]);
  });

  it('escapes what could close the script element or end a line', () => {
    const hostile = { ...config, endpoint: 'https://x.example/</script><script>alert(1)</script>\u2028\u2029<!--' };
    const rendered = renderTracker(stub, hostile);
    expect(rendered).not.toMatch(/<\/script/i);
    expect(rendered).not.toContain('<!--');
    expect(rendered).not.toMatch(/[\u2028\u2029]/);
    expect(evaluate(rendered)).toEqual([config.pixelId, config.organizationId, hostile.endpoint, true]);
  });

  it('keeps $ patterns in values literal', () => {
    const dollars = { ...config, organizationId: "$& $' $` $$" };
    expect(evaluate(renderTracker(stub, dollars))).toEqual([config.pixelId, "$& $' $` $$", config.endpoint, true]);
  });

  it('refuses a build without exactly one placeholder', () => {
    expect(() => renderTracker('var c=1;', config)).toThrow(CONFIG_PLACEHOLDER);
    expect(() => renderTracker(stub + stub, config)).toThrow(CONFIG_PLACEHOLDER);
  });

  it('renders every variant of the real build into a script that parses and holds the config', () => {
    const built = loadBuiltTracker();
    expect(built.variants).toHaveLength(2 ** built.trackers.length);
    for (const variant of built.variants) {
      const rendered = renderTracker(variant, config);
      expect(rendered).not.toContain(CONFIG_PLACEHOLDER);
      expect(rendered).toContain(safeJson([config.pixelId, config.organizationId, config.endpoint, true]));
      expect(() => new Function(rendered)).not.toThrow();
    }
  });
});

describe('safeJson', () => {
  it('is JSON that parses back to the same value', () => {
    const value = { a: '<b>&</b>', line: '\u2028\u2029', n: 1 };
    const text = safeJson(value);
    expect(text).toBe('{"a":"\\u003cb\\u003e&\\u003c/b\\u003e","line":"\\u2028\\u2029","n":1}');
    expect(JSON.parse(text)).toEqual(value);
  });
});
