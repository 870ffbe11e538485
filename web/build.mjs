// Builds the dashboard (web/src, React) with Vite into web/dist, writes a .gz next to every text
// file so the server can send them precompressed, and checks the initial page load budget: the
// HTML plus everything it references, gzipped, must stay under 300 KB.
// Usage: node web/build.mjs
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const INITIAL_LOAD_BUDGET = 300 * 1024;
const COMPRESSIBLE = /\.(?:js|css|html|svg|json|txt|map)$/;
const outDir = join(here, 'dist');
// Built beside, then swapped in, so a running server never sees a half-written dist.
const staging = join(here, '..', 'node_modules', '.cache', `delivr-web-${process.pid}`);

await build({
  root: here,
  configFile: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', legalComments: 'none' },
  build: {
    outDir: staging,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    // The polyfill would be inlined; the CSP allows no inline script, and every target browser has modulepreload.
    modulePreload: { polyfill: false },
  },
});

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}
for (const file of files(staging)) {
  if (!COMPRESSIBLE.test(file)) continue;
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 });
  if (gz.length < raw.length) writeFileSync(`${file}.gz`, gz);
}

mkdirSync(dirname(staging), { recursive: true });
const old = `${staging}-old`;
if (existsSync(outDir)) renameSync(outDir, old);
renameSync(staging, outDir);
rmSync(old, { recursive: true, force: true });

// The initial load: index.html and every same-origin file it references (scripts, styles, icon).
const html = readFileSync(join(outDir, 'index.html'), 'utf8');
const referenced = [...html.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((m) => m[1]);
const gz = (name) => {
  const p = join(outDir, name);
  return existsSync(`${p}.gz`) ? statSync(`${p}.gz`).size : statSync(p).size;
};
const total = gz('index.html') + referenced.reduce((sum, name) => sum + gz(name), 0);
console.log(`web/dist: initial load ${(total / 1024).toFixed(1)} KB gzipped (budget ${INITIAL_LOAD_BUDGET / 1024} KB)`);
if (total > INITIAL_LOAD_BUDGET) {
  console.error(`over budget by ${total - INITIAL_LOAD_BUDGET} B`);
  process.exitCode = 1;
}
