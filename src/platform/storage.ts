// Running out of storage, said plainly. A write that fails for lack of space (ingest's commit, a
// catalog write) answers 507 `storage_full` instead of a generic 500, and /readyz reports not ready
// until a write succeeds again, so a load balancer sends traffic elsewhere while an operator frees
// space. At start, a data folder that is full or read-only stops the server with one line saying so,
// before anything half-creates files in it.
//
// What counts as "no space": ENOSPC / EDQUOT from Node and DuckDB, SQLite's SQLITE_FULL, ClickHouse's
// NOT_ENOUGH_SPACE (243) and PostgreSQL's disk_full (53100). SQLite reports some failures on a full
// disk as a plain I/O error (its shared-memory file cannot grow), so an I/O error from a local store
// also counts when DATA_DIR has less than MIN_FREE_BYTES left.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Below this much free space in DATA_DIR, the embedded stores cannot be relied on to write. */
export const MIN_FREE_BYTES = 1024 * 1024;
/** After a remote store (ClickHouse, PostgreSQL) ran out of space, /readyz waits this long before trying again. */
const REMOTE_RETRY_MS = 30_000;

const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);
const CLICKHOUSE_NOT_ENOUGH_SPACE = '243';
const PG_DISK_FULL = '53100';
const NO_SPACE_TEXT = /no space left on device|disk quota exceeded|database or disk is full/i;
const READ_ONLY_TEXT = /read-only file system|permission denied|attempt to write a readonly database/i;
const LOCAL_IO_ERROR = /^SQLITE_IOERR|^EIO$/;

type Where = 'local' | 'remote';

const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === undefined || code === null ? '' : String(code);
};
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Whether `err` says the storage it came from has no space left, and where that storage is. */
export function outOfSpace(err: unknown): Where | null {
  const code = codeOf(err);
  if (code === CLICKHOUSE_NOT_ENOUGH_SPACE || code === PG_DISK_FULL) return 'remote';
  if (NO_SPACE_CODES.has(code) || NO_SPACE_TEXT.test(messageOf(err))) return 'local';
  return null;
}

/** Free bytes for an unprivileged writer in `dir`, or null when the file system cannot say. */
export function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** Tracks whether the last write failed for lack of space; /readyz and the error handler read it. */
export class StorageHealth {
  private failedAt: number | null = null;
  private where: Where = 'local';

  constructor(
    private readonly dataDir: string,
    private readonly onChange: (full: boolean) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get full(): boolean {
    return this.failedAt !== null;
  }

  /** True (and not ready from now on) when `err` is a write that failed for lack of space. */
  noteFailure(err: unknown): boolean {
    let where = outOfSpace(err);
    if (where === null && LOCAL_IO_ERROR.test(codeOf(err))) {
      const free = freeBytes(this.dataDir);
      if (free !== null && free < MIN_FREE_BYTES) where = 'local';
    }
    if (where === null) return false;
    this.where = where;
    if (this.failedAt === null) this.onChange(true);
    this.failedAt = this.now();
    return true;
  }

  /** A write went through: ready again. */
  noteSuccess(): void {
    if (this.failedAt === null) return;
    this.failedAt = null;
    this.onChange(false);
  }

  /**
   * For /readyz: resolves when writes can be expected to succeed. While full, a local store is
   * retried with a small real write in DATA_DIR (and a margin of free space); a remote one after
   * REMOTE_RETRY_MS, when traffic finds out.
   */
  async probe(): Promise<void> {
    if (this.failedAt === null) return;
    if (this.where === 'remote') {
      if (this.now() - this.failedAt < REMOTE_RETRY_MS) throw new Error('the analytics or catalog server has no space left');
      this.noteSuccess();
      return;
    }
    probeWrite(this.dataDir, 64 * 1024);
    const free = freeBytes(this.dataDir);
    if (free !== null && free < MIN_FREE_BYTES) throw new Error(`${this.dataDir} has less than 1 MiB free`);
    this.noteSuccess();
  }
}

/** Writes, syncs and removes a file of `bytes` in `dir`; throws what the file system said. Leaves nothing behind. */
function probeWrite(dir: string, bytes: number): void {
  const file = join(dir, `.delivr-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(file, 'wx', 0o600);
    // A write may be short when space runs out; the next one then fails with ENOSPC.
    const zeros = Buffer.alloc(Math.min(bytes, 64 * 1024));
    for (let written = 0; written < bytes; ) written += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - written));
    fsyncSync(fd);
  } finally {
    if (fd !== null) closeSync(fd);
    rmSync(file, { force: true });
  }
}

export class DataDirError extends Error {
  override name = 'DataDirError';
}

/**
 * Start-up check of DATA_DIR: it exists (or is created), can be written, and has at least
 * MIN_FREE_BYTES for the catalog and analytics files. Throws DataDirError with one line that says
 * what is wrong and what to do; leaves no file behind.
 */
export function checkDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    probeWrite(dataDir, MIN_FREE_BYTES);
  } catch (err) {
    throw new DataDirError(dataDirProblem(err, dataDir) ?? `cannot use the data folder ${dataDir}: ${messageOf(err)}`);
  }
}

/** One line for a start-up failure caused by the data folder (full, read-only), or null for anything else. */
export function dataDirProblem(err: unknown, dataDir: string): string | null {
  if (err instanceof DataDirError) return err.message;
  const code = codeOf(err);
  const why = code && !code.startsWith('SQLITE') ? ` (${code})` : '';
  // At start, too little room explains any store failure (SQLite may report only a failed rollback).
  if (outOfSpace(err) === 'local' || (freeBytes(dataDir) ?? Number.POSITIVE_INFINITY) < MIN_FREE_BYTES) {
    return `the data folder ${dataDir} has no space left${why}: free at least 1 MiB there, or set DATA_DIR to another folder`;
  }
  const path = String((err as { path?: unknown } | null)?.path ?? '');
  const inDataDir = path.startsWith(dataDir) || messageOf(err).includes(dataDir);
  const readOnly =
    code === 'EROFS' ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    (inDataDir && (READ_ONLY_CODES.has(code) || READ_ONLY_TEXT.test(messageOf(err))));
  if (readOnly) {
    return `the data folder ${dataDir} is not writable${why}: make it writable for this user, or set DATA_DIR to a writable folder`;
  }
  return null;
}
