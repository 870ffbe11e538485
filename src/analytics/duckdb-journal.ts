// The DuckDB store's ingest journal: acknowledged means stored, without waiting for DuckDB.
//
// A DuckDB commit that crosses `checkpoint_threshold` checkpoints before it returns, and in DuckDB
// 1.5 appends to a table wait while a checkpoint writes it (measured: every commit stalled 2.6 and
// 6.8 s at 128 MB, with a checkpoint run from another connection as well). So an event is
// acknowledged once its line is in this journal (written and fdatasync'd, many requests to one
// sync), and the store moves the journal into DuckDB behind it, a segment per transaction, with
// the number of the last segment moved recorded in the same transaction. A crash leaves segments
// not yet moved; opening the store moves them before anything reads (recover).
//
// Segments are files of NDJSON event rows, numbered in order. The open one takes appends; the
// store seals it when it starts a move (appends go to the next one), so a move reads a closed file
// (DuckDB's read_ndjson, in C++, instead of rows converted one value at a time in JavaScript).
// Writes are synchronous on purpose: the store runs on its own thread, whose other work (DuckDB
// statements) waits on the libuv pool, where an fsync could queue behind four long reads. What is
// not on the acknowledgement path goes to the pool: making the next segment ahead of a seal (its
// directory fsync waits for ext4's journal commit, which writes out DuckDB's pending data first) and
// deleting moved segments.
import {
  close as closeCallback,
  closeSync,
  fdatasyncSync,
  fsync as fsyncCallback,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  open as openCallback,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openAsync = promisify(openCallback);
const fsyncAsync = promisify(fsyncCallback);
const closeAsync = promisify(closeCallback);

const SEGMENT = /^(\d{12})\.ndjson$/;
const segmentName = (n: number): string => `${String(n).padStart(12, '0')}.ndjson`;

interface Waiting {
  text: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Drain {
  target: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class IngestJournal {
  private fd = -1;
  /** The open segment's number and how many bytes it holds. */
  private current = 0;
  private currentBytes = 0;
  /** Closed segments not yet moved into DuckDB, oldest first, with the bytes each holds. */
  private readonly sealed: { segment: number; bytes: number }[] = [];
  /** The last segment moved into DuckDB. */
  private applied = 0;
  private queue: Waiting[] = [];
  private scheduled = false;
  private drains: Drain[] = [];
  private closed = false;
  /** The next segment, made and its name synced ahead of time (prepareNext), or null. */
  private spare: { segment: number; fd: number } | null = null;
  private preparing: Promise<void> | null = null;
  /** Deletions of moved segments under way (moved). */
  private removing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  /**
   * Opens the journal after a start or a crash, `applied` being the last segment the store records
   * as moved. Segments up to it are deleted; later ones are kept to be moved, each cut after its
   * last complete line (a write torn by the crash was never acknowledged).
   */
  recover(applied: number): void {
    mkdirSync(this.dir, { recursive: true });
    this.applied = applied;
    const found = readdirSync(this.dir)
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const n of found) {
      const file = this.file(n);
      const kept = n <= applied ? 0 : cutTornTail(file);
      if (kept === 0) rmSync(file, { force: true });
      else this.sealed.push({ segment: n, bytes: kept });
    }
    this.current = Math.max(applied, ...found) + 1;
    this.openCurrent();
    this.prepareNext();
  }

  /** Resolves once `text` (whole lines, each ending in a newline) is on disk. */
  append(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('analytics store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After this turn's other messages: requests that arrived together share one sync.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Whether acknowledged lines wait to be moved into DuckDB. */
  hasPending(): boolean {
    return this.currentBytes > 0 || this.sealed.length > 0;
  }

  /** Resolves when every line acknowledged so far is in DuckDB; rejects if a move fails meanwhile. */
  drained(): Promise<void> {
    const target = this.currentBytes > 0 ? this.current : (this.sealed.at(-1)?.segment ?? this.applied);
    if (target <= this.applied) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.drains.push({ target, resolve, reject }));
  }

  /** Acknowledged bytes not yet moved into DuckDB, and the segment files holding them. */
  pending(): { bytes: number; segments: number } {
    const sealed = this.sealed.reduce((sum, s) => sum + s.bytes, 0);
    return { bytes: sealed + this.currentBytes, segments: this.sealed.length + (this.currentBytes > 0 ? 1 : 0) };
  }

  /** Whether a read or write is waiting for a move. */
  waited(): boolean {
    return this.drains.length > 0;
  }

  /** Closes the open segment for a move (when it holds anything) and starts the next. */
  seal(): void {
    if (this.currentBytes === 0) return;
    // The next file first: if it cannot be made (a full disk), nothing changed and appends go on here.
    // Usually it is made already; made here, its directory fsync holds up every acknowledgement.
    const n = this.current + 1;
    const next = this.spare?.segment === n ? this.spare.fd : this.openSegment(n);
    this.spare = null;
    closeSync(this.fd);
    this.sealed.push({ segment: this.current, bytes: this.currentBytes });
    this.current = n;
    this.fd = next;
    this.currentBytes = 0;
    this.prepareNext();
  }

  /**
   * Makes the segment after the open one on the libuv pool, its name synced, for the next seal.
   * A failure (a full disk) is left to that seal, which tries again and reports it.
   */
  private prepareNext(): void {
    if (this.preparing || this.closed || this.spare) return;
    const n = this.current + 1;
    this.preparing = makeSegment(this.file(n), this.dir).then(
      (fd) => {
        this.preparing = null;
        if (!this.closed && this.current + 1 === n) {
          this.spare = { segment: n, fd };
          return;
        }
        // A seal made it itself meanwhile (then it is the open segment: make the one after), or the
        // journal closed (the empty file is deleted at the next open: not here, where a reopened
        // store may already use it).
        closeSync(fd);
        this.prepareNext();
      },
      () => {
        this.preparing = null;
      },
    );
  }

  /** Resolves once the segment after the open one is made, or its making failed (tests). */
  async prepared(): Promise<void> {
    while (this.preparing) await this.preparing;
  }

  /** The oldest sealed segment, which the store moves next. */
  next(): { segment: number; file: string } | undefined {
    const oldest = this.sealed[0];
    return oldest && { segment: oldest.segment, file: this.file(oldest.segment) };
  }

  /** Called once `segment` is committed in DuckDB: its file goes, and reads waiting for it go on. */
  moved(segment: number): void {
    if (this.sealed[0]?.segment !== segment) throw new Error(`journal segment ${segment} moved out of order`);
    this.sealed.shift();
    this.applied = segment;
    // Deleted on the pool, one after another: unlinking a segment of a few MB here took 2 ms at the
    // median and up to 31 ms (ext4 freeing its blocks), and every acknowledgement waited behind it.
    // The segment is recorded as moved, so a file a crash leaves is deleted at the next open.
    const file = this.file(segment);
    this.removing = this.removing.then(() => rm(file, { force: true })).catch(() => undefined);
    const waiting = this.drains;
    this.drains = [];
    for (const d of waiting) {
      if (d.target <= segment) d.resolve();
      else this.drains.push(d);
    }
  }

  /** A move failed: reads waiting for it get its error (the lines stay, and the next move retries them). */
  failed(err: unknown): void {
    const waiting = this.drains;
    this.drains = [];
    for (const d of waiting) d.reject(err);
  }

  /** Writes what is queued and refuses further appends (the store then moves what is left). */
  stop(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  /** Closes the open segment; segments not moved stay for the next open. */
  close(): void {
    this.stop();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.currentBytes === 0) rmSync(this.file(this.current), { force: true });
    if (this.spare) {
      closeSync(this.spare.fd);
      rmSync(this.file(this.spare.segment), { force: true });
      this.spare = null;
    }
    this.failed(new Error('analytics store is closed'));
  }

  /** Resolves once the pool work started before (deleting moved segments, making the next) is done. */
  async settled(): Promise<void> {
    await this.removing;
    await this.prepared();
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const data = Buffer.from(batch.length === 1 ? (batch[0] as Waiting).text : batch.map((w) => w.text).join(''));
    try {
      let written = 0;
      while (written < data.length) written += writeSync(this.fd, data, written, data.length - written, null);
      fdatasyncSync(this.fd);
    } catch (err) {
      // Nothing of this batch is acknowledged: cut it off again, so no unacknowledged line is moved.
      try {
        ftruncateSync(this.fd, this.currentBytes);
      } catch {
        // The segment is unusable; the next append starts a fresh one after this one is sealed.
      }
      for (const w of batch) w.reject(err);
      return;
    }
    this.currentBytes += data.length;
    for (const w of batch) w.resolve();
  }

  private openCurrent(): void {
    this.fd = this.openSegment(this.current);
    this.currentBytes = 0;
  }

  private openSegment(n: number): number {
    const fd = openSync(this.file(n), 'a');
    try {
      // The new file's name must survive a power cut as its lines do.
      const dirFd = openSync(this.dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return fd;
  }

  private file(n: number): string {
    return join(this.dir, segmentName(n));
  }
}

/** Opens a new segment for appends with its name synced to disk (the directory fsync'd), on the libuv pool. */
async function makeSegment(file: string, dir: string): Promise<number> {
  const fd = await openAsync(file, 'a');
  try {
    const dirFd = await openAsync(dir, 'r');
    try {
      await fsyncAsync(dirFd);
    } finally {
      await closeAsync(dirFd);
    }
  } catch (err) {
    await closeAsync(fd);
    throw err;
  }
  return fd;
}

/** Cuts `file` after its last newline; returns the bytes kept. */
function cutTornTail(file: string): number {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return keep;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    return 0;
  } finally {
    closeSync(fd);
  }
}
