// The import's row rules, directly: which headers pass, how each field type converts, and the exact
// reason a row is rejected with. The API tests show the same rules end to end.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDENTITY_FIELDS } from '../../src/identity/fields.js';
import { hemsOf } from '../../src/identity/hem.js';
import { checkHeader, IMPORT_COLUMNS, RowReader } from '../../src/identity-import/rows.js';
import { checkFirstLine } from '../../src/identity-import/service.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

describe('hemsOf', () => {
  it('hashes the normalised email exactly as createHash does (the one-shot hash is only faster)', () => {
    for (const email of ['ann@acme.example', ' Ann@ACME.example ', 'zoë@exämple.com']) {
      const n = email.trim().toLowerCase();
      expect(hemsOf(email)).toEqual({ hem_sha256: sha256(n), hem_md5: md5(n), hem_sha1: sha1(n) });
    }
  });
});

describe('checkHeader', () => {
  it('accepts every identity field key plus the identifier columns, trimmed and in any case', () => {
    expect(IMPORT_COLUMNS).toEqual(['email', 'hem_sha256', 'hem_md5', 'hem_sha1', 'visitor_id', ...IDENTITY_FIELDS.map((f) => f.key)]);
    expect(checkHeader([' Email ', 'FIRST_NAME', 'visitor_id'])).toEqual({ ok: true, columns: ['email', 'first_name', 'visitor_id'] });
    expect(checkHeader(['hem_sha256', 'hem_md5', 'company_name'])).toMatchObject({ ok: true });
  });

  it.each([
    [['email', 'favourite_colour'], /^unknown column "favourite_colour"; columns are the identity field keys/],
    [['email', 'a', 'b'], /^unknown columns "a", "b";/],
    [['email', 'first_name', 'First_Name'], /^column "first_name" appears twice$/],
    [['email', ''], /^column 2 has no name$/],
    [['first_name', 'last_name'], /must identify each row/],
    [['hem_sha256', 'first_name'], /must identify each row/],
  ])('refuses %j', (names, reason) => {
    const r = checkHeader(names);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(reason);
  });
});

describe('RowReader', () => {
  const reader = new RowReader([
    'email',
    'first_name',
    'company_employee_count',
    'seniority_level',
    'gender',
    'is_email_business',
    'visitor_id',
  ]);

  it('turns a row into a patch with the email’s three HEMs, typed values and the option’s own spelling', () => {
    const r = reader.fromCells([' Ann@Acme.example ', ' Ann ', '250', 'VP', ' Female', 'TRUE', 'v-1']);
    expect(r).toEqual({
      ok: true,
      patch: {
        ...hemsOf('ann@acme.example'),
        first_name: 'Ann',
        company_employee_count: 250,
        seniority_level: 'vp',
        gender: 'female',
        is_email_business: 'true',
      },
      visitorId: 'v-1',
    });
  });

  it('leaves empty cells out of the patch (an empty cell never erases) and links nothing without a visitor', () => {
    const r = reader.fromCells(['bo@acme.example', '', '', ' ', '', '', '']);
    expect(r).toEqual({ ok: true, patch: hemsOf('bo@acme.example'), visitorId: null });
  });

  it.each([
    [['not-an-email', '', '', '', '', '', ''], 'email "not-an-email" is not a valid email address'],
    [['a@b.example', '', 'many', '', '', '', ''], 'company_employee_count must be a whole number of 0 or more, got "many"'],
    [['a@b.example', '', '12.5', '', '', '', ''], 'company_employee_count must be a whole number of 0 or more, got "12.5"'],
    [['a@b.example', '', '-3', '', '', '', ''], 'company_employee_count must be a whole number of 0 or more, got "-3"'],
    [['a@b.example', '', '', 'intern', '', '', ''], 'seniority_level: "intern" is not one of cxo, vp, director, manager, staff'],
    [['a@b.example', '', '', '', 'robot', '', ''], 'gender: "robot" is not one of female, male, other'],
    [['a@b.example', 'x'.repeat(1001), '', '', '', '', ''], 'first_name is longer than 1000 characters'],
    [['a@b.example', 'a\u0000b', '', '', '', '', ''], 'first_name contains a NUL character'],
    [['a@b.example', '', '', '', '', '', 'v'.repeat(201)], 'visitor_id is longer than 200 characters'],
    [['', 'Ann', '', '', '', '', ''], 'the row has no email, and no hem_sha256 and hem_md5 either'],
    [['a@b.example', 'Ann'], 'expected 7 columns, found 2'],
  ])('rejects %j: %s', (cells, reason) => {
    expect(reader.fromCells(cells)).toEqual({ ok: false, reason });
  });

  it('identifies a row by its HEMs alone, lowercased, and checks HEMs given beside an email', () => {
    const hems = new RowReader(['hem_sha256', 'hem_md5', 'hem_sha1', 'first_name']);
    const h = hemsOf('cy@acme.example');
    expect(hems.fromCells([h.hem_sha256.toUpperCase(), h.hem_md5, '', 'Cy'])).toEqual({
      ok: true,
      patch: { hem_sha256: h.hem_sha256, hem_md5: h.hem_md5, hem_sha1: null, first_name: 'Cy' },
      visitorId: null,
    });
    expect(hems.fromCells(['abc', h.hem_md5, '', ''])).toEqual({ ok: false, reason: 'hem_sha256 "abc" is not 64 hexadecimal characters' });
    expect(hems.fromCells([h.hem_sha256, '', '', ''])).toEqual({
      ok: false,
      reason: 'the row has no email, and no hem_sha256 and hem_md5 either',
    });
    const both = new RowReader(['email', 'hem_sha256']);
    expect(both.fromCells(['cy@acme.example', h.hem_sha256])).toMatchObject({ ok: true });
    expect(both.fromCells(['cy@acme.example', sha256('someone-else')])).toEqual({
      ok: false,
      reason: 'hem_sha256 does not match the email',
    });
  });

  it('reads NDJSON objects: JSON numbers and booleans where the field takes them, wrong types refused', () => {
    expect(
      RowReader.fromObject({
        email: 'dee@acme.example',
        company_revenue: 5_000_000,
        homeowner: false,
        first_name: null,
        visitor_id: 'v-9',
      }),
    ).toEqual({
      ok: true,
      patch: { ...hemsOf('dee@acme.example'), company_revenue: 5_000_000, homeowner: 'false' },
      visitorId: 'v-9',
    });
    expect(RowReader.fromObject({ email: 'dee@acme.example', first_name: 5 })).toEqual({
      ok: false,
      reason: 'first_name must be text, got number',
    });
    expect(RowReader.fromObject({ email: 'dee@acme.example', first_name: { a: 1 } })).toEqual({
      ok: false,
      reason: 'first_name must be text, got an object',
    });
    expect(RowReader.fromObject({ email: 'dee@acme.example', company_revenue: 1.5 })).toEqual({
      ok: false,
      reason: 'company_revenue must be a whole number of 0 or more, got 1.5',
    });
    expect(RowReader.fromObject({ email: 'dee@acme.example', shoe_size: 44 })).toMatchObject({
      ok: false,
      reason: /^unknown column "shoe_size"/,
    });
    expect(RowReader.fromObject(['dee@acme.example'])).toEqual({ ok: false, reason: 'each line must be a JSON object' });
  });
});

describe('docs/identity.md', () => {
  it('lists exactly the identity fields an import accepts, with their type and option values', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'identity.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Import'), doc.indexOf('### What happens to an upload'));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\w+) \| (\w+) \| (.*) \|$/gm)];
    expect(rows.map((r) => r[1])).toEqual(IDENTITY_FIELDS.map((f) => f.key));
    for (const [, key, category, type, holds] of rows) {
      const field = IDENTITY_FIELDS.find((f) => f.key === key);
      expect([category, type], key).toEqual([field?.category, field?.field_type]);
      for (const o of field?.options ?? []) expect(holds, key).toContain(`\`${o.value}\``);
    }
  });
});

describe('checkFirstLine', () => {
  const line = (s: string) => Buffer.from(s);
  it('checks the CSV header (BOM and CR tolerated) and the first NDJSON record’s keys', () => {
    expect(checkFirstLine('csv', line('\ufeffemail,first_name\r'))).toBeNull();
    expect(checkFirstLine('csv', line('"email","company_name"'))).toBeNull();
    expect(checkFirstLine('ndjson', line('{"email":"a@b.example","first_name":"A"}'))).toBeNull();
    expect(checkFirstLine('csv', line('email,shoe_size'))?.details).toMatch(/^unknown column "shoe_size"/);
    expect(checkFirstLine('ndjson', line('{"email":"a@b.example","shoe_size":1}'))?.details).toMatch(/^unknown column "shoe_size"/);
    expect(checkFirstLine('ndjson', line('email,first_name'))?.details).toBe('the first line is not a JSON object');
    expect(checkFirstLine('csv', line(''))?.details).toBe('the first line is empty: it must be the header row');
    expect(checkFirstLine('csv', null)?.code).toBe('import_empty');
  });
});
