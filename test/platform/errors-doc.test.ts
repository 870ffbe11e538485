// docs/errors.md is the client-facing copy of the error catalogue. This fails when the two disagree:
// a code added, removed or renamed, or a status or body changed on one side only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, ERRORS, type ErrorCode } from '../../src/platform/errors.js';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'errors.md');
const ROW = /^\| `([a-z_]+)` \| (\d{3}) \| `(\{.*\})` \| (.+) \|$/;

interface DocRow {
  code: string;
  status: number;
  body: string;
  meaning: string;
}

function documented(): DocRow[] {
  const lines = readFileSync(DOC, 'utf8').split('\n');
  const tableRows = lines.filter((l) => l.startsWith('| `'));
  const rows = tableRows.map((line) => {
    const m = ROW.exec(line);
    if (!m) throw new Error(`docs/errors.md: cannot read table row: ${line}`);
    return { code: m[1] as string, status: Number(m[2]), body: m[3] as string, meaning: (m[4] as string).trim() };
  });
  return rows;
}

describe('docs/errors.md', () => {
  const rows = documented();

  it('lists every code of the catalogue exactly once, and no other', () => {
    const codes = rows.map((r) => r.code);
    expect(codes.filter((c, i) => codes.indexOf(c) !== i)).toEqual([]);
    expect([...codes].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('gives each code its status and exact body', () => {
    for (const row of rows) {
      const code = row.code as ErrorCode;
      expect(ERRORS[code], row.code).toBeDefined();
      expect(row.status, row.code).toBe(ERRORS[code].status);
      expect(row.body, row.code).toBe(JSON.stringify(new ApiError(code).body()));
    }
  });

  it('says what each one means for a client', () => {
    for (const row of rows) expect(row.meaning.length, row.code).toBeGreaterThan(20);
  });
});
