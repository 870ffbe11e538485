// Builds the pixel script (tracker/src/p.ts) once per combination of the optional trackers listed in
// tracker/trackers.json, so each pixel is served only the code for what it tracks: a disabled tracker
// is a build-time constant the minifier removes, not a runtime switch. 2^9 builds take about a second.
// Writes tracker/dist/p.variants.json ({trackers, variants}: variants[mask], bit i = trackers[i]) and
// the all-trackers build as tracker/dist/p.min.js for reading, then prints what each tracker costs.
// The default variant, as served (config inlined), must fit the gzip budget: the build fails if not.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// Forms (email capture) became a default in issue 10; the budget stays well under Umami's tracker
// (2,239 B gzip), the smallest mainstream peer we measured.
export const GZIP_BUDGET = 1792;
const PLACEHOLDER = '__DELIVR_CONFIG__';
const here = dirname(fileURLToPath(import.meta.url));
const trackers = JSON.parse(readFileSync(join(here, 'trackers.json'), 'utf8'));
const names = trackers.map((t) => t.name);

const buildVariant = async (mask) => {
  const result = await build({
    entryPoints: [join(here, 'src', 'p.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2017',
    legalComments: 'none',
    // Not the project tsconfig: its `strict` would make esbuild prepend "use strict", bytes we need not ship.
    tsconfigRaw: {},
    write: false,
    define: Object.fromEntries(names.map((name, bit) => [`FEATURE_${name.toUpperCase()}`, String((mask & (1 << bit)) !== 0)])),
  });
  const code = result.outputFiles[0].text;
  if (code.split(PLACEHOLDER).length !== 2) throw new Error(`built tracker must contain ${PLACEHOLDER} exactly once`);
  return code;
};

const variants = await Promise.all(Array.from({ length: 1 << names.length }, (_, mask) => buildVariant(mask)));

// Write then rename, so a reader (the server, a parallel test) never sees a half-written file.
const writeAtomically = (file, text) => {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
};
const full = (1 << names.length) - 1;
writeAtomically(join(here, 'dist', 'p.variants.json'), JSON.stringify({ trackers: names, variants }));
writeAtomically(join(here, 'dist', 'p.min.js'), variants[full]);

// Sizes as served: the config the server inlines (two UUIDs, an https endpoint) is mostly incompressible.
const config = JSON.stringify([randomUUID(), randomUUID(), 'https://collect.example.com/pixel/core/api/send-event', false]);
const served = (mask) => gzipSync(variants[mask].replace(PLACEHOLDER, config)).length;
const maskOf = (list) => list.reduce((mask, name) => mask | (1 << names.indexOf(name)), 0);
const defaultMask = maskOf(trackers.filter((t) => t.default).map((t) => t.name));
const base = served(0);
console.log(`tracker/dist/p.variants.json: ${variants.length} variants; gzip as served (raw in brackets):`);
console.log(`  page views only        ${base} B  (${variants[0].length} B raw)`);
for (const name of names) console.log(`  + ${name.padEnd(20)} +${served(1 << names.indexOf(name)) - base} B`);
console.log(`  all trackers           ${served(full)} B  (${variants[full].length} B raw)`);
const size = served(defaultMask);
console.log(`  default (${names.filter((_, bit) => defaultMask & (1 << bit)).join(', ')}): ${size} B gzip (budget ${GZIP_BUDGET} B)`);
if (size > GZIP_BUDGET) {
  console.error(`default tracker over budget by ${size - GZIP_BUDGET} B`);
  process.exitCode = 1;
}
