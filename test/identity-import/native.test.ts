// The DuckDB import path (the upload cut into pieces, read by DuckDB's read_csv and checked in SQL,
// identity-import/pieces.ts and analytics/identity-import-duckdb.ts) against the path it replaces
// (csv-parse and rows.ts for every row): on generated files full of what CSV exports contain (cells
// that need quoting or trimming, non-ASCII text and addresses, bad values, duplicate people, visitors
// moving between people) and of what they should not (quotes inside cells, text after a closing
// quote, blank lines, rows of the wrong width, stray carriage returns), the same file imported both
// ways into two organizations of one store must give the same status (counts, errors with their
// lines) and the same stored profiles and links. The pieces are made tiny so that files are cut
// often, and the upload arrives in small chunks so the scanner sees quotes and line ends split.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertSql, readCsvSql } from '../../src/analytics/identity-import-duckdb.js';
import { hemsOf } from '../../src/identity/hem.js';
import type { IdentityStore } from '../../src/identity/types.js';
import { CsvScanner } from '../../src/identity-import/pieces.js';
import { RowReader, TRIMMED_CHARS } from '../../src/identity-import/rows.js';
import { IdentityImportService, importView } from '../../src/identity-import/service.js';
import { seededRandom } from '../../src/platform/random.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { withoutCsvReader } from '../support/stores.js';
import { newTenant, type Tenant } from '../support/tenant.js';

describe('TRIMMED_CHARS', () => {
  it('is exactly what String.prototype.trim removes', () => {
    const trimmed: string[] = [];
    for (let c = 0; c <= 0xffff; c++) if (String.fromCharCode(c).trim() === '') trimmed.push(String.fromCharCode(c));
    expect(trimmed.join('')).toBe(TRIMMED_CHARS);
  });
});

describe('CsvScanner', () => {
  const scan = (text: string, rows = 2, chunk = 3) => {
    const s = new CsvScanner(rows);
    const bytes = Buffer.from(text);
    const cuts: number[] = [];
    for (let i = 0; i < bytes.length; i += chunk) for (const c of s.scan(bytes.subarray(i, i + chunk))) cuts.push(i + c);
    return { newline: s.newline, whole: s.whole, cuts, pieces: s.finish(bytes.length) };
  };

  it('cuts after the header and every `rows` lines, counting lines as csv-parse does', () => {
    const r = scan('email,name\na@b.co,"x, y"\nc@d.co,z\ne@f.co,"q ""w"""\ng@h.co,k');
    expect(r.newline).toBe('\n');
    expect(r.cuts).toEqual([11, 34]);
    // The last line has no line ending, and is a line all the same.
    expect(r.pieces.map((p) => [p.firstLine, p.lines, p.simple])).toEqual([
      [1, 1, true],
      [2, 2, true],
      [4, 2, true],
    ]);
  });

  it('leaves quoted line breaks, blank lines and quotes inside cells to csv-parse, still cutting', () => {
    const r = scan('email,name\r\na@b.co,"x\r\ny"\r\n\r\nc@d.co,ab"c\r\ne@f.co,ok\r\ng@h.co,ok\r\n', 2);
    expect(r.newline).toBe('\r\n');
    // The quoted CRLF counts as two lines, as csv-parse counts it.
    expect(r.pieces.map((p) => [p.firstLine, p.lines, p.simple])).toEqual([
      [1, 1, true],
      [2, 3, false],
      [5, 2, false],
      [7, 2, true],
    ]);
  });

  it.each([
    ['text after a closing quote', 'email,name\na,b\nc,"d"x\ne,f\ng,h\n'],
    ['a carriage return in a LF file', 'email,name\na,b\nc,d\r\ne,f\ng,h\n'],
    ['a bare line feed in a CRLF file', 'email,name\r\na,b\r\nc,d\ne,f\r\ng,h\r\n'],
  ])('stops cutting at %s: the rest is one piece for csv-parse', (_label, text) => {
    const r = scan(text, 1);
    expect(r.pieces.at(-1)?.simple).toBe(false);
    expect(r.pieces.at(-1)?.firstLine).toBeLessThanOrEqual(3);
  });

  it('reads a file whose header line holds a carriage return as one file', () => {
    expect(scan('email\rx,name\na,b\n').whole).toBe(true);
  });
});

describe('SQL checks and hashing on DuckDB', () => {
  it('hash and accept exactly as rows.ts for the addresses SQL vouches for, and hand back the others', async () => {
    const emails = [
      'ann@acme.example',
      ' Ann.Lee@ACME.example\t',
      '\u00a0bo@x.co\ufeff',
      'zoë@exämple.com',
      'KELVIN@\u212a.example',
      'a@b',
      'two@@x.co',
      'sp ace@x.co',
      'nul\u0000@x.co',
      `${'x'.repeat(250)}@x.co`,
      '',
    ];
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const dir = mkdtempSync(join(tmpdir(), 'delivr-native-'));
    const path = join(dir, 'rows.csv');
    writeFileSync(path, emails.map((e) => `"${e.replace(/"/g, '""')}",First\n`).join(''));
    await conn.run(`CREATE TABLE raw AS SELECT * FROM ${readCsvSql(['email', 'first_name'], '\n')}`, [path]);
    const rows = (await conn.runAndReadAll(`${convertSql(['email', 'first_name'], 'raw')} ORDER BY idx`)).getRows();
    const reader = new RowReader(['email', 'first_name']);
    rows.forEach((row, i) => {
      const js = reader.fromCells([emails[i] as string, 'First']);
      if (row[1] === true) {
        expect(js.ok, emails[i]).toBe(true);
        expect({ hem_sha256: row[2], hem_md5: row[3], hem_sha1: row[4] }).toEqual(hemsOf(emails[i] as string));
      }
    });
    // The addresses that are ASCII once trimmed are vouched for by SQL, the others left to rows.ts.
    expect(rows.map((r) => r[1])).toEqual([true, true, true, false, false, false, false, false, false, false, false]);
    conn.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the DuckDB import path against csv-parse and rows.ts', () => {
  let t: TestApp;
  let native: Tenant;
  let reference: Tenant;
  let viaStore: IdentityImportService;
  let viaJs: IdentityImportService;
  let staged = 0;
  let slow = 0;

  beforeAll(async () => {
    t = await makeTestApp({ LOG_LEVEL: 'warn' });
    native = await newTenant(t);
    reference = await newTenant(t);
    const store = t.services.analytics;
    // The same store, counting what its CSV reader took on; and the same store without that reader.
    const counted: IdentityStore = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'stageCsv') {
          return async (...a: Parameters<NonNullable<IdentityStore['stageCsv']>>) => {
            const r = await target.stageCsv?.(...a);
            if (r) {
              staged++;
              slow += r.slow.length;
            }
            return r ?? null;
          };
        }
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const deps = { imports: t.services.catalog.identityImports, config: t.services.config, log: t.services.log, now: Date.now };
    viaStore = new IdentityImportService({ ...deps, analytics: counted, batchRows: 3 });
    viaJs = new IdentityImportService({ ...deps, analytics: withoutCsvReader(store), batchRows: 3 });
  });
  afterAll(async () => {
    await viaStore?.close();
    await viaJs?.close();
    await t?.close();
  });

  const importWith = async (service: IdentityImportService, tenant: Tenant, text: string, random: () => number) => {
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = 1 + Math.floor(random() * 9);
      chunks.push(bytes.subarray(i, i + n));
      i += n;
    }
    const { import_id } = await service.receive({
      organizationId: tenant.orgId,
      format: 'csv',
      body: Readable.from(chunks),
      contentLength: bytes.length,
      createdBy: 'test',
    });
    await service.idle();
    const view = importView(await service.get(tenant.orgId, import_id));
    return {
      status: view.status,
      rows_read: view.rows_read,
      rows_imported: view.rows_imported,
      rows_rejected: view.rows_rejected,
      errors: view.errors,
      failure: view.failure,
    };
  };

  const stored = async (tenant: Tenant, data: Generated) => {
    const profiles = await t.services.analytics.getProfiles(tenant.orgId, [...data.hems]);
    const links = await t.services.analytics.linksOfVisitors(tenant.orgId, [...data.visitors]);
    return {
      profiles: profiles.sort((a, b) => a.hem_sha256.localeCompare(b.hem_sha256)),
      links: links.map((l) => [l.visitor_id, l.hem_sha256, l.source]).sort(),
    };
  };

  it('gives the same statuses, profiles and links on 40 generated files', async () => {
    const random = seededRandom(Number(process.env.FUZZ_SEED ?? 20261129));
    for (let file = 0; file < Number(process.env.FUZZ_FILES ?? 40); file++) {
      const data = generate(random, file);
      const mine = await importWith(viaStore, native, data.text, random);
      const theirs = await importWith(viaJs, reference, data.text, random);
      expect(mine, `file ${file}:\n${data.text}`).toEqual(theirs);
      expect(await stored(native, data), `file ${file}:\n${data.text}`).toEqual(await stored(reference, data));
    }
    // Not vacuous: DuckDB read most pieces, and handed some rows back to rows.ts.
    expect(staged).toBeGreaterThan(60);
    expect(slow).toBeGreaterThan(20);
  }, 300_000);
});

interface Generated {
  text: string;
  hems: Set<string>;
  visitors: Set<string>;
}

const PEOPLE = ['ann@acme.example', 'bo@beta.example', 'cy@gamma.example', 'dee@delta.example', 'zoë@exämple.com'];
const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

/** A CSV file of people, with `file`'s share of quirks. */
function generate(random: () => number, file: number): Generated {
  const hems = new Set<string>();
  const visitors = new Set<string>();
  const optional = [
    'first_name',
    'seniority_level',
    'department',
    'company_employee_count',
    'is_email_business',
    'visitor_id',
    'company_name',
  ];
  const byHems = random() < 0.2;
  const columns = [
    ...(byHems ? ['hem_sha256', 'hem_md5'] : ['email']),
    ...(random() < 0.3 ? [byHems ? 'hem_sha1' : 'hem_sha256'] : []),
    ...optional.filter(() => random() < 0.6),
  ];
  const crlf = random() < 0.4;
  const nl = crlf ? '\r\n' : '\n';
  const quirky = file % 2 === 1;
  const lines: string[] = [columns.map((c) => (random() < 0.1 ? ` ${c.toUpperCase()} ` : c)).join(',')];
  const rows = 8 + Math.floor(random() * 30);
  for (let r = 0; r < rows; r++) {
    const person = pick(random, PEOPLE);
    const h = hemsOf(person);
    hems.add(h.hem_sha256);
    const cells = columns.map((c) => cell(random, c, person, h, visitors, hems));
    let line = cells.map((v) => encode(random, v)).join(',');
    if (quirky && random() < 0.08) {
      line = pick(random, [
        `${line},extra`,
        cells.slice(1).join(','),
        '',
        `${cells[0]},ab"c${cells.length > 1 ? `,${cells.slice(2).join(',')}` : ''}`,
        `"${cells[0]}"x${cells.length > 1 ? `,${cells.slice(1).join(',')}` : ''}`,
        ` "${cells[0]}"${cells.length > 1 ? `,${cells.slice(1).join(',')}` : ''}`,
        `${line}\r`,
        `"${cells[0]}`,
      ]);
    }
    lines.push(line);
  }
  const bom = random() < 0.2 ? '\ufeff' : '';
  const end = random() < 0.7 ? nl : '';
  return { text: bom + lines.join(nl) + end, hems, visitors };
}

function cell(
  random: () => number,
  column: string,
  person: string,
  h: ReturnType<typeof hemsOf>,
  visitors: Set<string>,
  hems: Set<string>,
): string {
  const pad = (v: string) => pick(random, ['', ' ', '\t', '\u00a0', '\ufeff']) + v + pick(random, ['', '', ' ', '\u3000']);
  switch (column) {
    case 'email': {
      const variant = pick(random, [
        person,
        person,
        person.toUpperCase(),
        pad(person),
        'not-an-email',
        'a@b',
        '',
        `${'x'.repeat(250)}@x.co`,
        'nul\u0000@x.co',
      ]);
      hems.add(hemsOf(variant).hem_sha256);
      return variant;
    }
    case 'hem_sha256':
    case 'hem_md5':
    case 'hem_sha1': {
      const kind = column.slice(4) as 'sha256' | 'md5' | 'sha1';
      const right = h[`hem_${kind}`];
      const other = hemsOf(`someone-${Math.floor(random() * 3)}@x.co`)[`hem_${kind}`];
      if (kind === 'sha256') hems.add(other);
      return pick(random, [right, right, right.toUpperCase(), pad(right), other, 'xyz', '']);
    }
    case 'visitor_id': {
      const v = pick(random, ['v-1', 'v-2', 'v-3', ' v-4 ', '', '', 'v'.repeat(201)]);
      visitors.add(v.trim());
      return v;
    }
    case 'seniority_level':
      return pick(random, ['vp', 'VP', ' cxo ', 'Staff', 'robot', '', 'director\u00a0']);
    case 'department':
      return pick(random, ['sales', 'MAR\u212aETING', 'marketing', 'it', 'IT ', 'chess', '']);
    case 'company_employee_count':
      return pick(random, ['250', ' 42 ', '007', '-1', '1e3', '9007199254740993', '12345678901234567', 'many', '', '0']);
    case 'is_email_business':
      return pick(random, ['true', 'TRUE', ' false', 'yes', '']);
    default:
      return pick(random, [
        'Ann',
        ' padded ',
        'Zoë',
        'Acme, Inc.',
        'say "hi"',
        'line\nbreak',
        '  ',
        '\u00a0x\u00a0',
        'x'.repeat(1001),
        'nul\u0000',
        '',
        '\u2028sep',
      ]);
  }
}

/** A cell as a CSV export writes it: quoted when it must be, sometimes when it need not be. */
function encode(random: () => number, v: string): string {
  return /[",\r\n]/.test(v) || random() < 0.1 ? `"${v.replace(/"/g, '""')}"` : v;
}
