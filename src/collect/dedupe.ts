// Retries stored once. A client may give each event its own `event_id`; the tracker does, and
// resends the identical body after a network error or a 5xx, so an event whose commit succeeded but
// whose answer was lost comes back. An event whose id was already stored for the same pixel in the
// last 24 hours is acknowledged with the stored event's id and not stored again.
//
// How, and why this way:
// - The stored `event_id` is derived from (pixel_id, client id): a UUIDv8 from SHA-256. Copies of
//   one event thus carry one stored id, ids from different pixels never collide, and the stored id
//   itself says it came from a client id (version nibble 8; server-made ids are v4).
// - Copies in flight at the same time (two in one request, or in concurrent requests, whatever
//   batch of the group commit they would land in) are caught before they reach the committer: the
//   first claims the id synchronously, the others wait for its commit and are then acknowledged.
//   If that commit fails, they fail too and the client retries.
// - Copies of an event already stored: on DuckDB, a single process owns the file, so this process
//   has seen every write. It keeps the ids of the last 24 hours in a Bloom filter (2 to 4 bytes
//   per id, rebuilt from the store at start, so a restart or kill -9 forgets nothing), and asks
//   the store only when the filter says "maybe": a true retry, or a few new ids in a thousand.
//   On ClickHouse several processes may write, so every id this process has not just stored is
//   looked up in the store, coalesced into one query per round trip for all waiting requests.
// Rejected alternative: ReplacingMergeTree or a `LIMIT 1 BY event_id` at query time. Duplicates of
// server-sent events differ in ts_millis (the table's sort key), so merges would not fold them, and
// deduplicating at read time costs every query, on DuckDB too.
import { createHash } from 'node:crypto';
import type { AnalyticsStore, EventRow } from '../analytics/types.js';

export const DEDUPE_WINDOW_MS = 24 * 3_600_000;

/** The stored id for a client's event id on a pixel: the same inputs always give the same UUIDv8. */
export function derivedEventId(pixelId: string, clientEventId: string): string {
  // Length-prefixed, so no (pixel, id) pair can spell another's input.
  const h = createHash('sha256').update(`${pixelId.length}:${pixelId}${clientEventId}`).digest('hex');
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** True for ids made by derivedEventId (server-made ids are random v4 UUIDs). */
export function isDerivedEventId(id: string): boolean {
  return id.length === 36 && id.charCodeAt(14) === 0x38 && id.charCodeAt(8) === 0x2d;
}

/** What the dedupe needs from the analytics store. */
export type DedupeStore = Pick<AnalyticsStore, 'findEventIds' | 'scanDerivedEventIds'>;

/** The two hashes of an id, taken from its own (SHA-256) hex, so nothing is hashed here. */
function hashesOf(id: string): [number, number] {
  return [Number.parseInt(id.slice(0, 8), 16), (Number.parseInt(id.slice(24, 32), 16) | 1) >>> 0];
}

const PROBES = 10;

/** A fixed-size Bloom filter at 0.1 % false positives: 14.4 bits per id, 10 probes. */
class BloomBlock {
  private readonly bits: Uint32Array;
  private readonly m: number;
  count = 0;

  constructor(readonly capacity: number) {
    this.m = Math.ceil(capacity * 14.38);
    this.bits = new Uint32Array(Math.ceil(this.m / 32));
  }

  get bytes(): number {
    return this.bits.byteLength;
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % this.m;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
    this.count += 1;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % this.m;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * Ids seen in the window, in Bloom filters per six-hour slice of arrival time: a slice is dropped
 * whole once all of it is older than the window. A slice grows by adding blocks of doubling size.
 */
const NO_COPIES: ReadonlySet<number> = new Set();
const noCopies = (): ReadonlySet<number> => NO_COPIES;

export class RecentIds {
  private readonly slices = new Map<number, BloomBlock[]>();
  private readonly sliceMs: number;

  constructor(private readonly windowMs: number = DEDUPE_WINDOW_MS) {
    this.sliceMs = Math.max(1, Math.floor(windowMs / 4));
  }

  add(id: string, atMs: number): void {
    const start = atMs - (atMs % this.sliceMs);
    let blocks = this.slices.get(start);
    if (!blocks) {
      blocks = [];
      this.slices.set(start, blocks);
    }
    let last = blocks[blocks.length - 1];
    if (!last || last.count >= last.capacity) {
      last = new BloomBlock(last ? last.capacity * 2 : 65_536);
      blocks.push(last);
    }
    const [h1, h2] = hashesOf(id);
    last.add(h1, h2);
  }

  mightContain(id: string, nowMs: number): boolean {
    this.expire(nowMs);
    const [h1, h2] = hashesOf(id);
    for (const blocks of this.slices.values()) for (const b of blocks) if (b.has(h1, h2)) return true;
    return false;
  }

  /** Memory held by the filters, for the report in /metrics and docs. */
  get bytes(): number {
    let n = 0;
    for (const blocks of this.slices.values()) for (const b of blocks) n += b.bytes;
    return n;
  }

  private expire(nowMs: number): void {
    for (const start of this.slices.keys()) if (start + this.sliceMs <= nowMs - this.windowMs) this.slices.delete(start);
  }
}

interface LookupKey {
  organizationId: string;
  pixelId: string;
  eventId: string;
  /** Where the first copy's ts_millis can be: its client time, or any arrival time in the window. */
  startMs: number;
  endMs: number;
}

interface LookupRequest {
  keys: LookupKey[];
  resolve: (found: Set<string>) => void;
  reject: (err: unknown) => void;
}

export interface DeduperOptions {
  /** True when this process is the only writer (DuckDB): ids it has not seen are new without asking. */
  soleWriter: boolean;
  now: () => number;
  windowMs?: number;
}

export class EventDeduper {
  private readonly recent: RecentIds;
  private readonly windowMs: number;
  /** Ids claimed by a request whose commit has not finished, with that commit's outcome. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Until the window's ids are loaded, the filter cannot vouch for anything: the store is asked. */
  private warmed = false;
  private lookups: LookupRequest[] = [];
  private lookupRunning = false;

  constructor(
    private readonly store: DedupeStore,
    private readonly options: DeduperOptions,
  ) {
    this.windowMs = options.windowMs ?? DEDUPE_WINDOW_MS;
    this.recent = new RecentIds(this.windowMs);
  }

  /**
   * Loads the ids stored in the window (DuckDB only: elsewhere the store is asked every time).
   * Ingest may run meanwhile (a day of a busy store takes seconds: ~1.2 s per million ids); until
   * this resolves, every id is looked up in the store, so nothing depends on waiting for it.
   */
  async warm(): Promise<number> {
    if (!this.options.soleWriter) return 0;
    let n = 0;
    await this.store.scanDerivedEventIds(this.options.now() - this.windowMs, (id, at) => {
      this.recent.add(id, at);
      n += 1;
    });
    this.warmed = true;
    return n;
  }

  get filterBytes(): number {
    return this.recent.bytes;
  }

  /**
   * Hands `rows` to `submit` without the ones already stored (or being stored) under the same
   * derived event id, and resolves once every row is durable: its own commit, or the first copy's.
   * `clientTs[i]` says whether row i's ts_millis came from the client (retries then repeat it).
   * Returns the indices of the rows that were copies.
   */
  storeOnce(
    rows: readonly EventRow[],
    clientTs: readonly boolean[],
    submit: (rows: readonly EventRow[]) => Promise<void>,
  ): Promise<ReadonlySet<number>> {
    // Events without a client event_id cannot be copies: straight to the commit (most of ingest).
    if (!rows.some((r) => isDerivedEventId(r.event_id))) return submit(rows).then(noCopies);
    return this.storeClaimed(rows, clientTs, submit);
  }

  private async storeClaimed(
    rows: readonly EventRow[],
    clientTs: readonly boolean[],
    submit: (rows: readonly EventRow[]) => Promise<void>,
  ): Promise<Set<number>> {
    const copies = new Set<number>();
    const waits: Promise<void>[] = [];
    const claimed: number[] = [];
    const seenHere = new Set<string>();
    rows.forEach((row, i) => {
      const id = row.event_id;
      if (!isDerivedEventId(id)) return;
      const running = this.inFlight.get(id);
      if (seenHere.has(id) || running) {
        copies.add(i);
        if (running) waits.push(running);
        return;
      }
      seenHere.add(id);
      claimed.push(i);
    });
    let settle: { resolve: () => void; reject: (err: unknown) => void } = { resolve: () => undefined, reject: () => undefined };
    const committed = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    committed.catch(() => undefined);
    for (const i of claimed) this.inFlight.set((rows[i] as EventRow).event_id, committed);
    try {
      const now = this.options.now();
      const trusted = this.options.soleWriter && this.warmed;
      const ask = claimed.filter((i) => !trusted || this.recent.mightContain((rows[i] as EventRow).event_id, now));
      if (ask.length > 0) {
        const found = await this.lookup(ask.map((i) => this.keyOf(rows[i] as EventRow, clientTs[i] === true, now)));
        for (const i of ask) if (found.has((rows[i] as EventRow).event_id)) copies.add(i);
      }
      const fresh = rows.filter((_, i) => !copies.has(i));
      if (fresh.length > 0) await submit(fresh);
      const at = this.options.now();
      for (const i of claimed) if (!copies.has(i)) this.recent.add((rows[i] as EventRow).event_id, at);
      settle.resolve();
    } catch (err) {
      settle.reject(err);
      throw err;
    } finally {
      for (const i of claimed) {
        const id = (rows[i] as EventRow).event_id;
        if (this.inFlight.get(id) === committed) this.inFlight.delete(id);
      }
    }
    await Promise.all(waits);
    return copies;
  }

  private keyOf(row: EventRow, clientTs: boolean, now: number): LookupKey {
    const base = { organizationId: row.organization_id, pixelId: row.pixel_id, eventId: row.event_id };
    // A retry repeats the client's ts; without one, the first copy got its own arrival time.
    return clientTs ? { ...base, startMs: row.ts_millis, endMs: row.ts_millis } : { ...base, startMs: now - this.windowMs, endMs: now };
  }

  /** One store query per organization for everything waiting, one round at a time. */
  private lookup(keys: LookupKey[]): Promise<Set<string>> {
    return new Promise((resolve, reject) => {
      this.lookups.push({ keys, resolve, reject });
      if (!this.lookupRunning) void this.runLookups();
    });
  }

  private async runLookups(): Promise<void> {
    this.lookupRunning = true;
    while (this.lookups.length > 0) {
      const round = this.lookups;
      this.lookups = [];
      try {
        const byOrg = new Map<string, { pixelIds: Set<string>; eventIds: Set<string>; startMs: number; endMs: number }>();
        for (const r of round) {
          for (const k of r.keys) {
            const q = byOrg.get(k.organizationId) ?? { pixelIds: new Set(), eventIds: new Set(), startMs: k.startMs, endMs: k.endMs };
            q.pixelIds.add(k.pixelId);
            q.eventIds.add(k.eventId);
            q.startMs = Math.min(q.startMs, k.startMs);
            q.endMs = Math.max(q.endMs, k.endMs);
            byOrg.set(k.organizationId, q);
          }
        }
        const since = this.options.now() - this.windowMs;
        const found = new Set<string>();
        for (const [organizationId, q] of byOrg) {
          const ids = await this.store.findEventIds({
            organizationId,
            pixelIds: [...q.pixelIds],
            eventIds: [...q.eventIds],
            startMs: q.startMs,
            endMs: q.endMs,
            receivedSinceMs: since,
          });
          for (const id of ids) found.add(id);
        }
        for (const r of round) r.resolve(found);
      } catch (err) {
        for (const r of round) r.reject(err);
      }
    }
    this.lookupRunning = false;
  }
}
