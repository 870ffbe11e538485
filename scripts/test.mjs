// `npm test`: lint and format check, typecheck, build (the browser tests load the built tracker and
// web app), then every test. Backend suites that need a server (PostgreSQL, ClickHouse, Redis) run
// when TEST_DATABASE_URL / CLICKHOUSE_URL / REDIS_URL are set and print why they skip otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Browser tests drive Debian's chromium; install it when missing and we may (root with apt-get).
if (!existsSync('/usr/bin/chromium') && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  process.stdout.write('installing chromium for the browser tests (apt-get)...\n');
  spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium'], {
    stdio: 'inherit',
  });
}
if (!existsSync('/usr/bin/chromium')) process.stdout.write('note: /usr/bin/chromium is missing; the browser tests will be skipped\n');

// The SQLite driver crashes (segmentation fault) on Node older than 22: say so before anything runs.
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.stdout.write(`npm test: delivr needs Node.js 22 or 24, this is ${process.version}; run scripts/with-node.sh 22 npm test\n`);
  process.exit(1);
}
process.stdout.write(`Node.js ${process.version}\n`);

const steps = [
  ['lint', ['node_modules/@biomejs/biome/bin/biome', 'check', '.']],
  ['typecheck', ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']],
  ['typecheck web', ['node_modules/typescript/bin/tsc', '-p', 'web']],
  ['build', ['scripts/build.mjs']],
  ['tests', ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)]],
];

for (const backend of [
  ['TEST_DATABASE_URL', 'catalog contract suite on PostgreSQL'],
  ['CLICKHOUSE_URL', 'events contract suite and Events API on ClickHouse'],
  ['REDIS_URL', 'shared rate limits on Redis'],
]) {
  if (!process.env[backend[0]]) process.stdout.write(`note: ${backend[0]} is not set; skipping the ${backend[1]}\n`);
}

for (const [name, args] of steps) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\nnpm test: ${name} failed\n`);
    process.exit(r.status ?? 1);
  }
}
