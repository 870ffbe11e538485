// A CSV upload cut into pieces on its way to disk, so that the analytics store can read most of it
// natively (DuckDB's read_csv, analytics/identity-import-duckdb.ts) while the import keeps the exact
// behaviour of csv-parse (rows.ts, service.ts): which bytes form which row, which line a row starts
// on, which rows are rejected and why.
//
// Piece 0 is the header line. Every later piece starts where csv-parse starts a record, and ends
// after a record delimiter, every `rowsPerPiece` lines or so. A piece is `simple` when each of its
// lines is one RFC 4180 record that DuckDB's strict reader splits into the same cells as csv-parse:
// quotes only around whole cells (`"..."` right after a comma or a line start, closed right before
// one), no line break or carriage return inside a cell, no blank line, every line ending the
// header's way. Anything else (a quote inside a cell, a quoted line break, a blank line) leaves the
// piece to csv-parse, which reads it alone from its first line with the line numbers it would have
// had reading the whole file. Where the scanner cannot tell how csv-parse would resynchronise (a
// closing quote followed by other text, a lone carriage return, a bare line feed in a CRLF file, a
// record of 1 MiB or more), it stops cutting: the rest of the file is one piece for csv-parse.
//
// The scan looks only at quotes, line feeds and carriage returns (Buffer.indexOf between them), so
// it costs little next to writing the bytes.
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';

export interface CsvPiece {
  path: string;
  bytes: number;
  /** The line (1-based, as csv-parse counts them in the whole file) this piece starts on. */
  firstLine: number;
  /** How many lines csv-parse counts in this piece; for a simple piece, its rows. */
  lines: number;
  /** Lines are records DuckDB's strict RFC 4180 reader reads exactly as csv-parse does. */
  simple: boolean;
}

export interface SplitCsv {
  /** The header line's ending: the record delimiter csv-parse uses for the whole file. */
  newline: '\n' | '\r\n';
  /**
   * The header line holds a carriage return before its end (csv-parse would then pick another
   * record delimiter): the pieces are to be read as one file, header included, as csv-parse reads it.
   */
  whole: boolean;
  /** Piece 0 is the header line; the others are rows. */
  pieces: CsvPiece[];
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
/** A record this long may exceed csv-parse's record limit (1M characters), after which it resynchronises its own way. */
const MAX_RECORD_BYTES = 1024 * 1024;
/** A piece holds at most this many bytes, whatever its lines. */
const MAX_PIECE_BYTES = 64 * 1024 * 1024;

interface PieceStats {
  start: number;
  firstLine: number;
  lines: number;
  simple: boolean;
}

/**
 * The byte scanner: fed chunks in order, it returns where pieces end (offsets in the chunk, each
 * after a record delimiter) and keeps each piece's line count and simplicity.
 */
export class CsvScanner {
  /** The header's line ending; null until the header line ends. */
  newline: '\n' | '\r\n' | null = null;
  /** The header line holds a carriage return before its end: the file is read whole (SplitCsv.whole). */
  whole = false;
  /** Whether pieces are still cut (see the module comment). */
  private cutting = true;
  private readonly done: PieceStats[] = [];
  private piece: PieceStats = { start: 0, firstLine: 1, lines: 0, simple: true };
  /** Bytes before the current chunk. */
  private offset = 0;
  /** csv-parse's line count so far: the line of the current position. */
  private line = 1;
  private inQuote = false;
  /** A quote inside a quoted cell was the last byte of the previous chunk. */
  private quotePending = false;
  /** A carriage return was the last byte of the previous chunk. */
  private crPending = false;
  private last = LF;
  /** Where the current record started (absolute offset). */
  private recordStart = 0;
  private headerCrs = 0;

  constructor(private readonly rowsPerPiece: number) {}

  /** Scans a chunk; returns the offsets in it after which a piece ends. */
  scan(chunk: Buffer): number[] {
    const cuts: number[] = [];
    let i = 0;
    if (chunk.length === 0) return cuts;
    if (this.quotePending) {
      this.quotePending = false;
      i = this.afterQuote(chunk[0]);
    } else if (this.crPending) {
      this.crPending = false;
      this.afterCr(chunk[0]);
    }
    let q = chunk.indexOf(QUOTE, i);
    let n = chunk.indexOf(LF, i);
    let r = chunk.indexOf(CR, i);
    while (q !== -1 || n !== -1 || r !== -1) {
      const at = Math.min(q === -1 ? Infinity : q, n === -1 ? Infinity : n, r === -1 ? Infinity : r);
      if (at === r) {
        if (this.newline === null) this.headerCrs++;
        else if (at + 1 === chunk.length) this.crPending = true;
        else this.afterCr(chunk[at + 1]);
        r = chunk.indexOf(CR, at + 1);
      } else if (at === n) {
        this.onLf(chunk, at, cuts);
        n = chunk.indexOf(LF, at + 1);
      } else {
        let from = at + 1;
        if (this.newline === null) {
          // Quotes of the header line: checkFirstLine parsed it as one record.
        } else if (!this.inQuote) {
          const prev = at > 0 ? chunk[at - 1] : this.last;
          if (prev === COMMA || prev === LF) this.inQuote = true;
          // csv-parse (relax_quotes) keeps a quote inside an unquoted cell as text; DuckDB may not.
          else this.piece.simple = false;
        } else if (at + 1 === chunk.length) {
          this.quotePending = true;
        } else {
          from = this.afterQuote(chunk[at + 1]) + at + 1;
        }
        q = chunk.indexOf(QUOTE, from);
      }
    }
    this.last = chunk[chunk.length - 1] as number;
    this.offset += chunk.length;
    return cuts;
  }

  /** The pieces' statistics once the input has ended (`total` bytes). */
  finish(total: number): PieceStats[] {
    if (this.crPending) this.irregular();
    // A quote pending at the end closes its cell; a quote never closed leaves the piece to csv-parse.
    if (this.inQuote && !this.quotePending) this.piece.simple = false;
    this.quotePending = false;
    this.crPending = false;
    if (this.newline !== null && total - this.recordStart >= MAX_RECORD_BYTES) this.irregular();
    if (total > this.piece.start) {
      // A last line without a line ending is a line too.
      if (this.last !== LF) this.piece.lines++;
      this.done.push(this.piece);
    }
    return this.done;
  }

  /**
   * The byte after a quote inside a quoted cell: another quote (an escaped quote: the scan goes on
   * after it, 1 byte further) or the end of the cell (0: the byte is scanned as usual).
   */
  private afterQuote(next: number | undefined): number {
    if (next === QUOTE) return 1;
    this.inQuote = false;
    if (next === COMMA || (next === LF && this.newline === '\n') || (next === CR && this.newline === '\r\n')) return 0;
    // Text after a closing quote: csv-parse then rereads the cell as unquoted text.
    this.irregular();
    return 0;
  }

  /** A carriage return after the header line, and the byte after it. */
  private afterCr(next: number | undefined): void {
    // In a LF file csv-parse counts a carriage return as a line of its own; in a CRLF file a lone
    // one is text. Either way the scanner no longer knows csv-parse's lines.
    if (this.newline === '\n' || next !== LF) {
      this.irregular();
      return;
    }
    if (this.inQuote) {
      // A quoted CRLF: csv-parse counts its two bytes as two lines.
      this.line++;
      this.piece.lines++;
    }
  }

  private onLf(chunk: Buffer, at: number, cuts: number[]): void {
    const abs = this.offset + at;
    const prev = at > 0 ? chunk[at - 1] : this.last;
    this.line++;
    this.piece.lines++;
    if (this.newline === null) {
      // The header line ends: piece 0.
      this.newline = prev === CR ? '\r\n' : '\n';
      this.whole = this.headerCrs > (prev === CR ? 1 : 0);
      if (this.whole) this.cutting = false;
      this.recordStart = abs + 1;
      this.endPiece(abs + 1, cuts, at + 1);
      return;
    }
    if (this.inQuote) {
      this.piece.simple = false;
      return;
    }
    if (this.newline === '\r\n' && prev !== CR) {
      // A bare line feed in a CRLF file is text to csv-parse.
      this.irregular();
      return;
    }
    const length = abs + 1 - this.recordStart - this.newline.length;
    if (length === 0) this.piece.simple = false;
    if (length >= MAX_RECORD_BYTES) this.irregular();
    this.recordStart = abs + 1;
    if (this.cutting && (this.piece.lines >= this.rowsPerPiece || abs + 1 - this.piece.start >= MAX_PIECE_BYTES)) {
      this.endPiece(abs + 1, cuts, at + 1);
    }
  }

  private endPiece(end: number, cuts: number[], inChunk: number): void {
    this.done.push(this.piece);
    this.piece = { start: end, firstLine: this.line, lines: 0, simple: true };
    cuts.push(inChunk);
  }

  private irregular(): void {
    this.cutting = false;
    this.piece.simple = false;
  }
}

/**
 * A Writable that cuts the CSV written to it into piece files `${base}.${n}.csv` (see CsvScanner).
 * `result()` gives the pieces once the stream has finished.
 */
export class CsvSplitter extends Writable {
  private readonly scanner: CsvScanner;
  private file: FileHandle | null = null;
  private readonly paths: string[] = [];
  private bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly base: string,
    rowsPerPiece: number,
  ) {
    super();
    this.scanner = new CsvScanner(rowsPerPiece);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.take(chunk).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.flush()
      .then(async () => {
        await this.file?.close();
        this.file = null;
      })
      .then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const file = this.file;
    this.file = null;
    (file ? file.close() : Promise.resolve()).then(
      () => done(err),
      () => done(err),
    );
  }

  /** The pieces, after the stream finished. */
  result(): SplitCsv {
    const stats = this.scanner.finish(this.bytes);
    const ends = [...stats.slice(1).map((s) => s.start), this.bytes];
    return {
      newline: this.scanner.newline ?? '\n',
      whole: this.scanner.whole,
      pieces: stats.map((s, k) => ({
        path: this.paths[k] as string,
        bytes: (ends[k] as number) - s.start,
        firstLine: s.firstLine,
        lines: s.lines,
        simple: s.simple && k > 0 && !this.scanner.whole,
      })),
    };
  }

  /** Every file this splitter created (to remove them). */
  files(): readonly string[] {
    return this.paths;
  }

  private async take(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    let from = 0;
    for (const cut of this.scanner.scan(chunk)) {
      this.hold(chunk.subarray(from, cut));
      await this.flush();
      await this.file?.close();
      this.file = null;
      from = cut;
    }
    if (from < chunk.length) this.hold(chunk.subarray(from));
    if (this.pendingBytes >= 1024 * 1024) await this.flush();
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    if (!this.file) {
      const path = `${this.base}.${this.paths.length}.csv`;
      this.paths.push(path);
      this.file = await open(path, 'wx');
    }
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.file.write(data);
  }
}

/** Removes piece files (missing ones are fine). */
export async function removePieces(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { force: true })));
}
