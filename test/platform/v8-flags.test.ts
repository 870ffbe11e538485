// The server turns V8's allocation-site pretenuring off (src/platform/v8-flags.ts): under ingest load
// it moved request-path literals to the old generation and every young collection then promoted a
// fifth of what requests allocated (docs/ingest.md, "Garbage collection under ingest"). V8's own
// trace says whether a site was switched: a control run without the module must show the switch
// (else this test could not fail), a run that loads the built module first must show none, and the
// server must load it before anything else.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale } from '../support/server-process.js';

const ROOT = join(import.meta.dirname, '..', '..');
let dir = '';

/** Objects of one literal that all survive: V8 pretenures such a site unless told not to. */
const SCRIPT = `
if (process.env.FLAGS_MODULE) await import(process.env.FLAGS_MODULE);
const keep = [];
function make(i) { return { a: i, b: [i] }; }
for (let i = 0; i < 3e6; i++) keep.push(make(i));
process.stdout.write('kept ' + keep.length + '\\n');
`;

function tenuredSites(flagsModule: string | null): number {
  const script = join(dir, 'survivors.mjs');
  // A small young generation: many collections, so the site's fate is decided (two in a row) every run.
  const r = spawnSync(process.execPath, ['--max-semi-space-size=1', '--trace-pretenuring', '--trace-pretenuring-statistics', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...(flagsModule ? { FLAGS_MODULE: flagsModule } : {}) },
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('kept 3000000');
  return (r.stdout.match(/=> tenure$/gm) ?? []).length;
}

describe('V8 settings of the server', () => {
  beforeAll(() => {
    buildIfStale();
    dir = mkdtempSync(join(tmpdir(), 'delivr-v8-flags-'));
    writeFileSync(join(dir, 'survivors.mjs'), SCRIPT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without the module V8 pretenures a site whose objects all survive (the control)', () => {
    expect(tenuredSites(null)).toBeGreaterThan(0);
  });

  it('with the built module loaded first, no allocation site is pretenured', () => {
    const module = pathToFileURL(join(ROOT, 'dist', 'platform', 'v8-flags.js')).href;
    expect(tenuredSites(module)).toBe(0);
  });

  it('the server loads it before any other module', () => {
    const source = readFileSync(join(ROOT, 'src', 'server.ts'), 'utf8');
    const firstImport = source.split('\n').find((line) => line.startsWith('import '));
    expect(firstImport).toBe("import './platform/v8-flags.js';");
  });
});
