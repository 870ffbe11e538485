// The tracker ships on every page of every customer site: its gzipped size is a budget checked here.
// The budget itself lives in one place, tracker/build.mjs, which prints it with every build.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_TRACKER_PATH } from '../../src/pixels/render.js';
import { buildTracker } from './build-tracker.js';

const scratch = mkdtempSync(join(tmpdir(), 'delivr-tracker-size-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('tracker size', () => {
  it('gzips within the budget the build script enforces', () => {
    const report = buildTracker();
    const gzipped = gzipSync(readFileSync(BUILT_TRACKER_PATH)).length;
    const budget = Number(/budget (\d+) B/.exec(report)?.[1]);
    expect(report).toContain(`${gzipped} B gzip`);
    expect(budget).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(budget);
  });

  it('drops a disabled feature at build time', () => {
    const outfile = join(scratch, 'p.lean.js');
    buildTracker(['--without=video,copy', `--outfile=${outfile}`]);
    const lean = readFileSync(outfile, 'utf8');
    const full = readFileSync(BUILT_TRACKER_PATH, 'utf8');
    expect(full).toContain('video_');
    expect(lean).not.toContain('video_');
    expect(lean).not.toContain('"copy"');
    expect(lean.length).toBeLessThan(full.length);
  });
});
