import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestJournal } from '../../src/analytics/duckdb-journal.js';

const name = (n: number): string => `${String(n).padStart(12, '0')}.ndjson`;
const files = (dir: string): Record<string, number> => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size]));

describe('IngestJournal', () => {
  it('makes the next segment ahead of a seal, and appends after the seal go there', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'delivr-journal-')), 'j');
    const journal = new IngestJournal(dir);
    journal.recover(0);
    // Open: segment 1; made ahead, empty: segment 2.
    await journal.prepared();
    expect(files(dir)).toEqual({ [name(1)]: 0, [name(2)]: 0 });
    await journal.append('{"a":1}\n');
    journal.seal();
    expect(journal.next()?.segment).toBe(1);
    await journal.append('{"a":2}\n');
    expect(readFileSync(join(dir, name(2)), 'utf8')).toBe('{"a":2}\n');
    // The seal made the one after ready in turn.
    await journal.prepared();
    expect(files(dir)).toEqual({ [name(1)]: 8, [name(2)]: 8, [name(3)]: 0 });
    journal.moved(1);
    journal.close();
    await journal.settled();
    // Closed: the sealed-and-moved file is gone, the open one stays for the next open, the spare goes.
    expect(files(dir)).toEqual({ [name(2)]: 8 });
    const reopened = new IngestJournal(dir);
    reopened.recover(1);
    expect(reopened.next()?.segment).toBe(2);
    expect(reopened.pending()).toEqual({ bytes: 8, segments: 1 });
    reopened.close();
  });
});
