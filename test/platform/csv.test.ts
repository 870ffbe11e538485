// The shared CSV writer: formula escaping for text cells, numbers left as numbers, every line break
// inside a cell quoted, empty cells for missing values, CRLF records.
import { describe, expect, it } from 'vitest';
import { csvLines } from '../../src/platform/csv.js';

describe('csvLines', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+41 22 000 00 00', "'+41 22 000 00 00"],
    ['-cmd', "'-cmd"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', '"\'\rx"'],
    ['a\nb', '"a\nb"'],
    ['say "hi"', '"say ""hi"""'],
    ['a,b', '"a,b"'],
    ['plain', 'plain'],
  ])('text %j is written as %j', (value, cell) => {
    expect(csvLines([[value]])).toBe(`${cell}\r\n`);
  });

  it('writes numbers (negative too), booleans and missing values as themselves', () => {
    expect(csvLines([[-3, 1.5, true, false, null, undefined, '']])).toBe('-3,1.5,true,false,,,\r\n');
  });

  it('writes nothing for no records, and one CRLF line per record', () => {
    expect(csvLines([])).toBe('');
    expect(
      csvLines([
        ['a', 'b'],
        ['c', 'd'],
      ]),
    ).toBe('a,b\r\nc,d\r\n');
  });
});
