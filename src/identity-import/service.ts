// Identity import: a CSV or NDJSON file of people becomes profiles (and visitor links) in the
// analytics store. An HTTP upload is streamed to spool files under DATA_DIR/imports while its first
// line is checked (an unknown column is refused before anything is stored); once the whole body is on
// disk the caller gets 202 and the file is processed in the background. On a store with its own CSV
// reader (DuckDB) a CSV upload is cut into pieces on its way to disk (pieces.ts) and the store reads,
// checks and writes each piece itself, handing back only the rows its SQL cannot vouch for, which
// rows.ts judges; other pieces, NDJSON, and everything on ClickHouse are parsed here, in batches:
// every batch one mergeProfiles (later non-empty value wins, empty never erases) and one
// linkVisitors (source `import`). Either way the same rows are stored and rejected, with the same
// lines (test/identity-import/native.test.ts). Rows that cannot be stored are counted and reported
// with their line, never fatal. Progress lives in the catalog, so any server process reports it. The
// CLI's --direct mode runs the same processing in the foreground on a local file.
//
// Why spool rather than process while reading: the 202 means "we have your file"; a slow store then
// never holds the upload's connection open, and a client that disconnects half-way has stored
// nothing (no half-imported file to explain).

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import type { Logger } from 'pino';
import type { CsvImportStore, IdentityStore, ImportedRow, NewLink, ProfilePatch, StagedRows } from '../identity/types.js';
import type { Config } from '../platform/config.js';
import { uuidv7 } from '../platform/crypto.js';
import { ApiError, fail } from '../platform/errors.js';
import { formatIso } from '../platform/time.js';
import { type CsvPiece, CsvSplitter, removePieces, type SplitCsv } from './pieces.js';
import { checkHeader, type ImportFormat, RowReader, type RowResult } from './rows.js';
import type { IdentityImportView } from './schemas.js';
import type { IdentityImport, IdentityImportsStore, ImportError, ImportProgress } from './store.js';

/**
 * Rows per store write: one mergeProfiles and one linkVisitors each. A DuckDB row group (122,880
 * rows): DuckDB writes an append that large straight to the data file instead of through its WAL,
 * and each merge's one join with the stored profiles is paid per batch (bench/identity: at 10,000
 * rows a batch, a 1M import spent most of its time in commits and in those joins).
 */
export const DEFAULT_BATCH_ROWS = 122_880;
/** Rejected rows kept with their reason; later ones are only counted. */
export const MAX_ERRORS = 100;
/** Longest first line (CSV header or first NDJSON record), and longest NDJSON line. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Longest CSV record, in characters: an unclosed quote cannot swallow the rest of the file into memory. */
const MAX_CSV_RECORD_CHARS = 1024 * 1024;
/** A processing import whose progress has not moved for this long belongs to a process that stopped. */
export const STALE_MS = 10 * 60_000;
/** Progress is written to the catalog at most this often (and always at the end). */
const PROGRESS_EVERY_MS = 500;
/** Spool files left by a process that crashed are removed after this long. */
const SPOOL_MAX_AGE_MS = 24 * 3_600_000;

export const IMPORT_MEDIA_TYPES: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

export interface ImportServiceDeps {
  imports: IdentityImportsStore;
  analytics: IdentityStore;
  config: Pick<Config, 'dataDir' | 'importMaxBytes'>;
  log: Logger;
  now: () => number;
  batchRows?: number;
}

export interface Progress extends ImportProgress {
  bytes_total: number;
}

class Stopped extends Error {}

export class IdentityImportService {
  private readonly running = new Map<string, Promise<unknown>>();
  private stopping = false;
  private swept = false;

  constructor(private readonly d: ImportServiceDeps) {}

  /** The format a Content-Type names (parameters ignored), or 415. */
  static formatOf(contentType: string | undefined): ImportFormat {
    const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const format = IMPORT_MEDIA_TYPES[type];
    if (!format) throw fail('unsupported_media_type', 'send the file as text/csv or application/x-ndjson');
    return format;
  }

  /**
   * An HTTP upload: checks the first line as it arrives, spools the body to disk within
   * IMPORT_MAX_BYTES, records the import and starts processing it in the background.
   */
  async receive(input: {
    organizationId: string;
    format: ImportFormat;
    body: Readable;
    contentLength: number | null;
    createdBy: string;
  }): Promise<{ import_id: string; status: 'processing' }> {
    const max = this.d.config.importMaxBytes;
    if (input.contentLength !== null && input.contentLength > max) throw tooLarge(max);
    if (this.stopping) throw fail('unavailable', 'the server is stopping');
    const dir = join(this.d.config.dataDir, 'imports');
    await mkdir(dir, { recursive: true });
    if (!this.swept) {
      this.swept = true;
      void this.sweep(dir);
    }
    const id = uuidv7(this.d.now());
    const gate = new FirstLineGate(input.format, max);
    // A CSV upload for a store that reads CSV itself is cut into pieces on its way to disk (pieces.ts).
    const splitter = input.format === 'csv' && this.native() ? new CsvSplitter(join(dir, id), this.rowsPerPiece()) : null;
    const spool = join(dir, `${id}.${input.format}`);
    const files = (): readonly string[] => (splitter ? splitter.files() : [spool]);
    try {
      await spoolUpload(input.body, gate, splitter ?? createWriteStream(spool, { flags: 'wx' }));
    } catch (err) {
      await removePieces(files());
      if (err instanceof ApiError) throw err;
      // The client went away (or the connection broke) before the end of the body.
      throw fail('import_interrupted', err instanceof Error ? err.message : undefined);
    }
    const record = await this.d.imports
      .create({
        id,
        organizationId: input.organizationId,
        format: input.format,
        createdBy: input.createdBy,
        bytesTotal: gate.bytes,
        now: this.d.now(),
      })
      .catch(async (err: unknown) => {
        await removePieces(files());
        throw err;
      });
    this.start(record, splitter ? { pieces: splitter.result() } : { open: () => createReadStream(spool) }, () => removePieces(files()));
    return { import_id: id, status: 'processing' };
  }

  /**
   * A local file, imported in the foreground (the CLI's --direct): the same checks and processing as
   * an upload, with progress reported to `onProgress`. Resolves with the finished import.
   */
  async importFile(input: {
    organizationId: string;
    format: ImportFormat;
    path: string;
    createdBy: string;
    onProgress?: (p: Progress) => void;
  }): Promise<IdentityImport> {
    const { size } = await stat(input.path);
    const problem = checkFirstLine(input.format, await readFirstLine(input.path));
    if (problem) throw problem;
    const record = await this.d.imports.create({
      id: uuidv7(this.d.now()),
      organizationId: input.organizationId,
      format: input.format,
      createdBy: input.createdBy,
      bytesTotal: size,
      now: this.d.now(),
    });
    if (input.format === 'csv' && this.native()) {
      // Cut into pieces in DATA_DIR/imports, as an upload is, for the store to read them.
      const dir = join(this.d.config.dataDir, 'imports');
      await mkdir(dir, { recursive: true });
      const splitter = new CsvSplitter(join(dir, record.id), this.rowsPerPiece());
      try {
        await pipeline(createReadStream(input.path), splitter);
        await this.process(record, { pieces: splitter.result() }, input.onProgress);
      } finally {
        await removePieces(splitter.files());
      }
    } else {
      await this.process(record, { open: () => createReadStream(input.path) }, input.onProgress);
    }
    return (await this.d.imports.get(record.organization_id, record.id)) as IdentityImport;
  }

  async get(organizationId: string, importId: string): Promise<IdentityImport> {
    await this.failStale(organizationId);
    const found = await this.d.imports.get(organizationId, importId);
    if (!found) throw fail('import_not_found');
    return found;
  }

  async list(organizationId: string, limit = 50): Promise<IdentityImport[]> {
    await this.failStale(organizationId);
    return this.d.imports.list(organizationId, limit);
  }

  /** Stops running imports (each ends `failed`, saying so) and waits for them. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Resolves when the imports running in this process have finished (tests, CLI). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private failStale(organizationId: string): Promise<number> {
    const now = this.d.now();
    return this.d.imports.failStale(
      organizationId,
      now - STALE_MS,
      'the process importing this file stopped before it finished; import the file again (rows already stored are not changed by a second import)',
      now,
    );
  }

  /** The store's own CSV reader, when it has one (DuckDB). */
  private native(): CsvImportStore | null {
    const { stageCsv, commitCsv, discardCsv } = this.d.analytics;
    if (!stageCsv || !commitCsv || !discardCsv) return null;
    const store = this.d.analytics;
    return {
      stageCsv: (...a) => stageCsv.apply(store, a),
      commitCsv: (...a) => commitCsv.apply(store, a),
      discardCsv: (...a) => discardCsv.apply(store, a),
    };
  }

  private rowsPerPiece(): number {
    return this.d.batchRows ?? DEFAULT_BATCH_ROWS;
  }

  private start(record: IdentityImport, source: Source, cleanup: () => Promise<unknown>): void {
    const work = this.process(record, source)
      .catch((err: unknown) => this.d.log.error({ err, import_id: record.id }, 'identity import: could not record its end'))
      .finally(async () => {
        await cleanup().catch(() => undefined);
        this.running.delete(record.id);
      });
    this.running.set(record.id, work);
  }

  /** Reads the rows, writes them in batches, keeps the catalog's progress current, records the end. */
  private async process(record: IdentityImport, source: Source, onProgress?: (p: Progress) => void): Promise<void> {
    const progress: Progress = {
      bytes_total: record.bytes_total,
      bytes_read: 0,
      rows_read: 0,
      rows_imported: 0,
      rows_rejected: 0,
      errors: [],
    };
    let lastReport = 0;
    const report = async (force = false): Promise<void> => {
      onProgress?.(progress);
      const now = this.d.now();
      if (!force && now - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = now;
      await this.d.imports.progress(record.id, progress, now);
    };
    const run: Run = { record, progress, report };
    try {
      if ('open' in source) {
        const stream = source.open();
        await this.readRows(run, stream, record.format === 'csv' ? csvRows : ndjsonRows);
      } else if (source.pieces.whole) {
        await this.readRows(run, concatenated(source.pieces.pieces), csvRows);
      } else {
        await this.readPieces(run, source.pieces);
      }
      if (this.stopping) throw new Stopped();
      progress.bytes_read = progress.bytes_total;
      onProgress?.(progress);
      await this.d.imports.finish(record.id, progress, { status: 'completed' }, this.d.now());
      this.d.log.info(
        { import_id: record.id, rows_read: progress.rows_read, rows_rejected: progress.rows_rejected },
        'identity import completed',
      );
    } catch (err) {
      const failure =
        err instanceof Stopped
          ? 'the server stopped before the import finished; import the file again (rows already stored are not changed by a second import)'
          : `the import stopped: ${err instanceof Error ? err.message : String(err)}`;
      if (!(err instanceof Stopped)) this.d.log.error({ err, import_id: record.id }, 'identity import failed');
      onProgress?.(progress);
      await this.d.imports.finish(record.id, progress, { status: 'failed', failure }, this.d.now());
    }
  }

  /**
   * The pieces of a CSV file (pieces.ts) in order: a simple one read, checked and written by the
   * store itself (only the rows its SQL cannot vouch for come back here, to rows.ts), any other one,
   * or one the store's reader sees otherwise than csv-parse, read here by csv-parse.
   */
  private async readPieces(run: Run, split: SplitCsv): Promise<void> {
    const [header, ...pieces] = split.pieces as [CsvPiece, ...CsvPiece[]];
    const columns = headerColumns(await readFirstLine(header.path));
    const reader = new RowReader(columns);
    const native = this.native();
    const org = run.record.organization_id;
    run.progress.bytes_read += header.bytes;
    // The store reads and checks the next piece while it writes this one.
    const stage = (piece: CsvPiece | undefined): Promise<StagedRows | null> => {
      if (!piece?.simple || !native) return Promise.resolve(null);
      const staged = native.stageCsv(org, { path: piece.path, columns, newline: split.newline, rows: piece.lines });
      staged.catch(() => undefined);
      return staged;
    };
    let next = stage(pieces[0]);
    try {
      for (let k = 0; k < pieces.length; k++) {
        const piece = pieces[k] as CsvPiece;
        const staged = await next;
        next = stage(pieces[k + 1]);
        if (staged && native) {
          await this.storePiece(run, native, piece, staged, reader);
          continue;
        }
        if (this.stopping) throw new Stopped();
        const before = run.progress.bytes_read;
        await this.readRows(run, createReadStream(piece.path), (source) =>
          csvRows(source, { columns, line: piece.firstLine, newline: split.newline }),
        );
        run.progress.bytes_read = before + piece.bytes;
      }
    } finally {
      // A piece staged ahead of a failure is dropped.
      const ahead = await next.catch(() => null);
      if (ahead && native) await native.discardCsv(ahead.stage).catch(() => undefined);
    }
  }

  /** A piece the store has read and checked (`staged`): rows.ts judges the rows SQL did not vouch for, then the store writes it. */
  private async storePiece(run: Run, native: CsvImportStore, piece: CsvPiece, staged: StagedRows, reader: RowReader): Promise<void> {
    const more: ImportedRow[] = [];
    const rejected: ImportError[] = [];
    try {
      if (this.stopping) throw new Stopped();
      for (const { index, cells } of staged.slow) {
        const result = reader.fromCells(cells);
        if (result.ok) more.push({ index, patch: result.patch, visitorId: result.visitorId });
        else rejected.push({ line: piece.firstLine + index, reason: result.reason });
      }
      await native.commitCsv(run.record.organization_id, staged.stage, more, run.record.created_at);
    } catch (err) {
      await native.discardCsv(staged.stage).catch(() => undefined);
      throw err;
    }
    const { progress } = run;
    progress.rows_read += piece.lines;
    progress.rows_imported += piece.lines - rejected.length;
    progress.rows_rejected += rejected.length;
    const errors = progress.errors as ImportError[];
    for (const e of rejected.slice(0, MAX_ERRORS - errors.length)) errors.push(e);
    progress.bytes_read += piece.bytes;
    await run.report();
  }

  /** Rows parsed here, written in batches; the parsing of the next batch overlaps the store writing this one. */
  private async readRows(run: Run, stream: Readable, rowsOf: (source: Readable) => AsyncGenerator<Row>): Promise<void> {
    const { record, progress, report } = run;
    const org = record.organization_id;
    const batchRows = this.rowsPerPiece();
    const errors = progress.errors as ImportError[];
    let batch = newBatch();
    let pending: Promise<void> | null = null;
    const flush = (b: Batch): Promise<void> => {
      const write = this.write(org, b, record.created_at).then(async () => {
        progress.rows_imported += b.patches.length;
        await report();
      });
      write.catch(() => undefined);
      return write;
    };
    try {
      const counted = new ByteCounter((n) => {
        progress.bytes_read += n;
      });
      for await (const { line, result } of rowsOf(stream.pipe(counted))) {
        if (this.stopping) throw new Stopped();
        progress.rows_read++;
        if (!result.ok) {
          progress.rows_rejected++;
          if (errors.length < MAX_ERRORS) errors.push({ line, reason: result.reason });
          continue;
        }
        batch.patches.push(result.patch);
        if (result.visitorId !== null) batch.visitors.set(result.visitorId, result.patch.hem_sha256);
        if (batch.patches.length >= batchRows) {
          if (pending) await pending;
          pending = flush(batch);
          batch = newBatch();
        }
      }
      if (pending) await pending;
      pending = null;
      if (this.stopping) throw new Stopped();
      if (batch.patches.length > 0) await flush(batch);
    } finally {
      await pending?.catch(() => undefined);
      stream.destroy();
    }
  }

  /**
   * One batch: profiles first, then the visitor links that are new. A visitor already linked to the
   * same person is left alone, so importing the same file again changes nothing, not even seen times.
   */
  private async write(organizationId: string, b: Batch, at: number): Promise<void> {
    await this.d.analytics.mergeProfiles(organizationId, b.patches, at);
    if (b.visitors.size === 0) return;
    const current = new Map(
      (await this.d.analytics.linksOfVisitors(organizationId, [...b.visitors.keys()])).map((l) => [l.visitor_id, l.hem_sha256]),
    );
    const links: NewLink[] = [];
    for (const [visitor_id, hem_sha256] of b.visitors) {
      if (current.get(visitor_id) !== hem_sha256) links.push({ visitor_id, hem_sha256, source: 'import', at });
    }
    if (links.length > 0) await this.d.analytics.linkVisitors(organizationId, links);
  }

  /** Spool files of imports that a crashed process never finished. */
  private async sweep(dir: string): Promise<void> {
    const cutoff = Date.now() - SPOOL_MAX_AGE_MS;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const s = await stat(path).catch(() => null);
      if (s && s.mtimeMs < cutoff) await rm(path, { force: true }).catch(() => undefined);
    }
  }
}

interface Batch {
  patches: ProfilePatch[];
  /** visitor id → the person of its last row in the batch. */
  visitors: Map<string, string>;
}
const newBatch = (): Batch => ({ patches: [], visitors: new Map() });

/** What an import reads: one stream (NDJSON, or CSV for a store without a CSV reader), or the pieces of a CSV file. */
type Source = { open: () => Readable } | { pieces: SplitCsv };

/** One import under way: its record, its progress, and how progress reaches the catalog. */
interface Run {
  record: IdentityImport;
  progress: Progress;
  report: (force?: boolean) => Promise<void>;
}

/** Files read one after the other as one stream. */
function concatenated(pieces: readonly CsvPiece[]): Readable {
  const out = new PassThrough();
  (async () => {
    for (const piece of pieces) await pipeline(createReadStream(piece.path), out, { end: false });
    out.end();
  })().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

/** An import record as the API shows it. */
export function importView(r: IdentityImport): IdentityImportView {
  return {
    import_id: r.id,
    status: r.status,
    format: r.format,
    rows_read: r.rows_read,
    rows_imported: r.rows_imported,
    rows_rejected: r.rows_rejected,
    errors: JSON.parse(r.errors) as ImportError[],
    bytes_total: r.bytes_total,
    bytes_read: r.bytes_read,
    created_at: formatIso(r.created_at),
    finished_at: r.finished_at === null ? null : formatIso(r.finished_at),
    failure: r.failure,
  };
}

const tooLarge = (max: number): ApiError => fail('import_too_large', `IMPORT_MAX_BYTES is ${max} bytes`);

/** The first line's problem (an ApiError to answer with), or null when it names valid columns. */
export function checkFirstLine(format: ImportFormat, line: Buffer | null): ApiError | null {
  const columns = firstLineColumns(format, line);
  return columns instanceof ApiError ? columns : null;
}

/** The columns a CSV header line names (already checked when the file was received). */
function headerColumns(line: Buffer | null): string[] {
  const columns = firstLineColumns('csv', line);
  if (columns instanceof ApiError) throw new Error(`header changed after it was checked: ${columns.message}`);
  return columns;
}

/** The columns the first line names, checked; or the ApiError to answer with. */
function firstLineColumns(format: ImportFormat, line: Buffer | null): string[] | ApiError {
  if (line === null) return fail('import_empty', 'the body has no bytes');
  let text = line.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/\r$/, '');
  if (text.trim() === '') {
    return fail(
      'import_header_invalid',
      format === 'csv' ? 'the first line is empty: it must be the header row' : 'the first line is empty',
    );
  }
  let names: string[];
  if (format === 'csv') {
    try {
      const [record] = parseCsvSync(text, { relax_quotes: true, relax_column_count: true }) as string[][];
      names = record ?? [];
    } catch (err) {
      return fail('import_header_invalid', `the header row is not valid CSV: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail('import_header_invalid', 'the first line is not a JSON object');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return fail('import_header_invalid', 'the first line is not a JSON object');
    names = Object.keys(value);
  }
  const header = checkHeader(names);
  return header.ok ? header.columns : fail('import_header_invalid', header.reason);
}

/**
 * Passes an upload through once its first line names valid columns, counting bytes against the
 * limit. Nothing is written downstream (to the spool) before the first line is checked.
 */
class FirstLineGate extends Transform {
  bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private checked = false;

  constructor(
    private readonly format: ImportFormat,
    private readonly max: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      done(tooLarge(this.max));
      return;
    }
    if (this.checked) {
      done(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const nl = chunk.indexOf(10);
    if (nl === -1) {
      done(this.headBytes > MAX_LINE_BYTES ? fail('import_header_invalid', `the first line is longer than ${MAX_LINE_BYTES} bytes`) : null);
      return;
    }
    const all = Buffer.concat(this.head);
    const problem = checkFirstLine(this.format, all.subarray(0, all.indexOf(10)));
    if (problem) {
      done(problem);
      return;
    }
    this.checked = true;
    this.head = [];
    done(null, all);
  }

  override _flush(done: TransformCallback): void {
    if (this.checked) {
      done();
      return;
    }
    const problem = checkFirstLine(this.format, this.headBytes === 0 ? null : Buffer.concat(this.head));
    if (problem) {
      done(problem);
      return;
    }
    done(null, Buffer.concat(this.head));
  }
}

/**
 * Writes the upload through the gate to the spool (a file, or the pieces' splitter). The request
 * stream itself is never destroyed on a refusal (that would drop the connection before the 4xx is
 * sent): it is only unpiped.
 */
async function spoolUpload(body: Readable, gate: FirstLineGate, sink: Writable): Promise<void> {
  const interrupted = (): void => {
    if (!body.readableEnded) gate.destroy(new Error('the connection closed before the end of the body'));
  };
  const broken = (err: Error): void => {
    gate.destroy(err);
  };
  body.once('close', interrupted);
  body.once('error', broken);
  body.pipe(gate);
  try {
    await pipeline(gate, sink);
  } finally {
    body.unpipe(gate);
    body.off('close', interrupted);
    body.off('error', broken);
    // A refused upload's spool is removed by the caller: only once its file is closed (it may still be opening).
    if (!sink.closed) await once(sink, 'close');
  }
}

/** Counts the bytes flowing through (progress: how far into the file the parser has read). */
class ByteCounter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.onBytes(chunk.length);
    done(null, chunk);
  }
}

/** The first line of a file (without its newline), null for an empty file; at most MAX_LINE_BYTES. */
async function readFirstLine(path: string): Promise<Buffer | null> {
  const file = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await file.read(buf, 0, buf.length, total);
      if (bytesRead === 0) return total === 0 ? null : Buffer.concat(chunks);
      const piece = buf.subarray(0, bytesRead);
      const nl = piece.indexOf(10);
      if (nl !== -1) return Buffer.concat([...chunks, piece.subarray(0, nl)]);
      chunks.push(piece);
      total += bytesRead;
      if (total > MAX_LINE_BYTES) throw fail('import_header_invalid', `the first line is longer than ${MAX_LINE_BYTES} bytes`);
    }
  } finally {
    await file.close();
  }
}

interface Row {
  line: number;
  result: RowResult;
}

/**
 * CSV rows after the header, with the line each starts on; malformed records become rejected rows.
 * `piece`: the source is a piece of the file (pieces.ts) without the header, starting at `line`,
 * whose records end with the header's `newline` (as csv-parse reading the whole file would find).
 */
async function* csvRows(
  source: Readable,
  piece?: { columns: readonly string[]; line: number; newline: SplitCsv['newline'] },
): AsyncGenerator<Row> {
  const parser = source.pipe(
    parseCsv({
      // A byte order mark only counts at the very start of the file.
      bom: !piece,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_CSV_RECORD_CHARS,
      ...(piece ? { record_delimiter: piece.newline } : {}),
    }),
  );
  const offset = piece ? piece.line - 1 : 0;
  const skipped: Row[] = [];
  parser.on('skip', (err: Error & { code?: string; lines?: number }) => {
    skipped.push({ line: (err.lines ?? 0) + offset, result: { ok: false, reason: csvProblem(err) } });
  });
  let reader: RowReader | null = piece ? new RowReader(piece.columns) : null;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    while (skipped.length > 0) yield skipped.shift() as Row;
    if (!reader) {
      const header = checkHeader(record);
      if (!header.ok) throw new Error(`header changed after it was checked: ${header.reason}`);
      reader = new RowReader(header.columns);
      continue;
    }
    // csv-parse counts lines to the record's end; a quoted cell may hold newlines of its own.
    let inner = 0;
    for (const cell of record) for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) inner++;
    yield { line: info.lines - inner + offset, result: reader.fromCells(record) };
  }
  while (skipped.length > 0) yield skipped.shift() as Row;
}

function csvProblem(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell is never closed (the rest of the file was read as part of it)';
    case 'CSV_MAX_RECORD_SIZE':
      return `the row is longer than ${MAX_CSV_RECORD_CHARS} characters`;
    default:
      return `not valid CSV: ${err.message.slice(0, 200)}`;
  }
}

/** NDJSON records, one per non-blank line; a line that is not a JSON object is a rejected row. */
async function* ndjsonRows(source: Readable): AsyncGenerator<Row> {
  for await (const { line, text } of lines(source)) {
    if (text === null) {
      yield { line, result: { ok: false, reason: `the line is longer than ${MAX_LINE_BYTES} bytes` } };
      continue;
    }
    const trimmed = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (trimmed.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      yield { line, result: { ok: false, reason: 'the line is not valid JSON' } };
      continue;
    }
    yield { line, result: RowReader.fromObject(value) };
  }
}

/** Lines of a byte stream (UTF-8 decoded whole, so a character split across chunks survives); null text = too long. */
async function* lines(source: Readable): AsyncGenerator<{ line: number; text: string | null }> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let overlong = false;
  let line = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (!overlong && carryBytes + piece.length > MAX_LINE_BYTES) {
        overlong = true;
        carry = [];
        carryBytes = 0;
      }
      if (nl === -1) {
        if (!overlong && piece.length > 0) {
          carry.push(piece);
          carryBytes += piece.length;
        }
        break;
      }
      line++;
      if (overlong) yield { line, text: null };
      else yield { line, text: (carry.length > 0 ? Buffer.concat([...carry, piece]) : piece).toString('utf8') };
      carry = [];
      carryBytes = 0;
      overlong = false;
      start = nl + 1;
    }
  }
  if (carryBytes > 0 || overlong) {
    line++;
    yield { line, text: overlong ? null : Buffer.concat(carry).toString('utf8') };
  }
}
