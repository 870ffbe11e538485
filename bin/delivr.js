#!/usr/bin/env node
// `npx delivr ...`: runs the built CLI (npm install builds it through the `prepare` script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('delivr: not built yet; run `npm install` (or `npm run build`) first\n');
  process.exit(1);
}
await import(cli);
