// CSV for every file the platform lets people download (the Events API export now, dashboard
// downloads later), written by csv-stringify so quoting and escaping live in one maintained place.
// Anonymous visitors control many exported values (page titles, URLs, event data): a cell starting
// with =, +, -, @, tab or CR would run as a formula when the file is opened in a spreadsheet (CSV
// injection), so such cells get a leading apostrophe (`escape_formulas`; numbers are left alone).
// Records end in CRLF (RFC 4180), and a cell holding any line break is quoted: csv-stringify
// quotes only the full record delimiter on its own, and a bare CR or LF would split the record.
import { type Options, stringify } from 'csv-stringify/sync';

const OPTIONS: Options = {
  escape_formulas: true,
  record_delimiter: 'windows',
  quoted_match: /[\r\n]/,
  cast: { boolean: (v) => String(v) },
};

/** CSV text of `records`, one line per record; null and undefined are empty cells. */
export function csvLines(records: readonly (readonly unknown[])[]): string {
  return records.length === 0 ? '' : stringify(records as unknown[][], OPTIONS);
}
