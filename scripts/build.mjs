// Builds everything `npm start` serves: the server (tsc → dist/), the pixel tracker and the web dashboard. Each step
// is skipped when its output is newer than its sources, so `npm start` stays fast after the first run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? (e.name === 'dist' || e.name === 'node_modules' ? 0 : newest(p)) : statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

if (newest('src') > mtime('dist/server.js') || process.argv.includes('--force')) {
  process.stdout.write('building server (tsc)...\n');
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
}
if (existsSync('tracker/build.mjs') && (newest('tracker') > mtime('tracker/dist/p.variants.json') || process.argv.includes('--force'))) {
  process.stdout.write('building tracker...\n');
  run(process.execPath, ['tracker/build.mjs']);
}
if (newest('web') > mtime('web/dist/index.html') || process.argv.includes('--force')) {
  process.stdout.write('building web dashboard (vite)...\n');
  run(process.execPath, ['web/build.mjs']);
}
