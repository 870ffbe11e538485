// The layout's rules, checked so they hold by test and not by habit: each capability owns its
// routes, service and store in one folder under src/; a route file mounts HTTP on a service and
// never reaches past it (no other route file, no catalog store, no whole Services bag); wire
// schemas stay importable by the web app (no server code in them).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const all = files(SRC);
const rel = (f: string): string => relative(SRC, f);
const routeFiles = all.filter((f) => /(^|\/)routes(\.\w+)?\.ts$/.test(rel(f)));

/** Every import of a module: its specifier and whether it is type-only. */
function imports(file: string): { from: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)].map((m) => ({ from: m[2] ?? '', typeOnly: Boolean(m[1]) }));
}

describe('feature layout', () => {
  it('finds the route files (the check below is not vacuous)', () => {
    expect(routeFiles.length).toBeGreaterThan(15);
  });

  it('no route file imports another route file', () => {
    const offenders = routeFiles.flatMap((f) =>
      imports(f)
        .filter((i) => /(^|\/)routes(\.\w+)?\.js$/.test(i.from))
        .map((i) => `${rel(f)} imports ${i.from}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no route file touches the catalog: no catalog module, no store (row types aside), no catalog in its deps', () => {
    const offenders = routeFiles.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      const bad = imports(f)
        .filter((i) => i.from.includes('/catalog/') || (/store\.js$/.test(i.from) && !i.typeOnly))
        .map((i) => `${rel(f)} imports ${i.from}`);
      // The catalog store by name (`catalog.organizations...`, `Pick<Services, 'catalog'>`), not words like "field catalog".
      if (/\bcatalog\.\w|'catalog'/.test(text.replace(/^\s*\/\/.*$/gm, ''))) bad.push(`${rel(f)} uses the catalog`);
      return bad;
    });
    expect(offenders).toEqual([]);
  });

  it('route functions take only the services they need (Pick<Services, ...>), never the whole bag', () => {
    const offenders = routeFiles.filter((f) => /:\s*Services\s*[),]/.test(readFileSync(f, 'utf8'))).map(rel);
    expect(offenders).toEqual([]);
  });

  it('wire schemas import nothing but TypeBox and other wire schemas, so the web app can use their types', () => {
    const schemaFiles = all.filter((f) => /schemas\.ts$/.test(f));
    expect(schemaFiles.length).toBeGreaterThan(8);
    const offenders = schemaFiles.flatMap((f) =>
      imports(f)
        .filter((i) => i.from !== 'typebox' && !/schemas\.js$/.test(i.from))
        .map((i) => `${rel(f)} imports ${i.from}`),
    );
    expect(offenders).toEqual([]);
  });

  it('every module starts with a header comment saying what it is for', () => {
    const offenders = all.filter((f) => !readFileSync(f, 'utf8').startsWith('//')).map(rel);
    expect(offenders).toEqual([]);
  });
});

describe('web app wire types', () => {
  const WEB = join(import.meta.dirname, '..', 'web', 'src');
  const webFiles = readdirSync(WEB, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));

  it('calls the API only with the server’s named response types, never an inline shape', () => {
    const inline = webFiles.flatMap((f) => [...readFileSync(join(WEB, f), 'utf8').matchAll(/api<\s*\{/g)].map((m) => `${f} at ${m.index}`));
    expect(webFiles.length).toBeGreaterThan(10);
    expect(inline).toEqual([]);
  });

  it('declares no wire type of its own: lib/types.ts only re-exports src/wire.ts', () => {
    const text = readFileSync(join(WEB, 'lib', 'types.ts'), 'utf8');
    expect(text).toContain("from '../../../src/wire.js'");
    expect(text).not.toMatch(/^export (interface|type \w+ = \{)/m);
  });
});
