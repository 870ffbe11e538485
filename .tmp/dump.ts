import { writeFileSync } from 'node:fs';
import { makeTestApp } from '../test/support/app.js';
const t = await makeTestApp();
writeFileSync('/tmp/sec/openapi.json', (await t.app.inject({ url: '/openapi.json' })).body);
await t.close();
process.exit(0);
