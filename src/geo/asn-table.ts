// IP → autonomous system (number and organization name) from the range CSVs of
// @ip-location-db/asn (RouteViews + NRO + DB-IP, CC BY 4.0), which is published as CSV only. The
// rows become sorted typed arrays searched by bisection: about 6 MB for ~500,000 ranges, a lookup
// in well under a microsecond, and organization names stored once each.
//
// Accepted row shapes (the package's files): `start,end,asn,org` where start/end are decimal
// IPv4 numbers (`asn-ipv4-num.csv`) or textual IPv4/IPv6 addresses (`asn-ipv4.csv`, `asn-ipv6.csv`);
// `org` may be double-quoted with `""` escapes. IPv6 ranges are compared on their top 64 bits.
import { readFileSync } from 'node:fs';
import { ipv4ToNumber, ipv6Prefix64 } from './ip.js';

export interface AsnInfo {
  asn: number;
  org: string | null;
}

/** Ranges of one address family: keys are one (IPv4) or two (IPv6 top 64 bits) uint32 per bound. */
class RangeTable {
  constructor(
    private readonly width: 1 | 2,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly asns: Float64Array,
    private readonly orgIds: Uint32Array,
    private readonly orgs: readonly string[],
  ) {}

  get size(): number {
    return this.asns.length;
  }

  /** Compares the key at `i` of `keys` with (hi, lo): negative when the key is smaller. */
  private cmp(keys: Uint32Array, i: number, hi: number, lo: number): number {
    if (this.width === 1) return (keys[i] as number) - hi;
    const khi = keys[2 * i] as number;
    return khi !== hi ? khi - hi : (keys[2 * i + 1] as number) - lo;
  }

  find(hi: number, lo: number): AsnInfo | null {
    // Last range whose start <= address.
    let low = 0;
    let high = this.asns.length - 1;
    let at = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.cmp(this.starts, mid, hi, lo) <= 0) {
        at = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (at < 0 || this.cmp(this.ends, at, hi, lo) < 0) return null;
    const org = this.orgs[this.orgIds[at] as number];
    return { asn: this.asns[at] as number, org: org ? org : null };
  }
}

/** Growable columns for one address family while a file is read. */
class Columns {
  starts: number[] = [];
  ends: number[] = [];
  asns: number[] = [];
  orgIds: number[] = [];
  constructor(readonly width: 1 | 2) {}
}

const DIGITS = /^\d+$/;
const TWO_32 = 2n ** 32n;
const MASK_32 = TWO_32 - 1n;

/**
 * A range bound: a decimal number (IPv4 up to 2^32-1, larger ones IPv6 as 128-bit integers, as in
 * the package's `-num` files) or a textual address.
 */
function bound(text: string): { family: 4 | 6; key: readonly number[] } | null {
  if (DIGITS.test(text)) {
    if (text.length <= 10) {
      const n = Number(text);
      if (n <= 0xffffffff) return { family: 4, key: [n] };
    }
    const n = BigInt(text);
    if (n >= 2n ** 128n) return null;
    const top = n >> 64n;
    return { family: 6, key: [Number(top >> 32n), Number(top & MASK_32)] };
  }
  const v4 = ipv4ToNumber(text);
  if (v4 !== null) return { family: 4, key: [v4] };
  const v6 = ipv6Prefix64(text);
  return v6 ? { family: 6, key: v6 } : null;
}

/** A small all-digits field read straight from the bytes; null when it is anything else. */
function smallNumber(bytes: Buffer, from: number, to: number): number | null {
  if (to <= from || to - from > 10) return null;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (bytes[i] as number) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}

function parseRow(
  bytes: Buffer,
  from: number,
  to: number,
): { family: 4 | 6; start: readonly number[]; end: readonly number[]; asn: number; org: string } | null {
  const a = bytes.indexOf(0x2c, from);
  const b = a < 0 || a >= to ? -1 : bytes.indexOf(0x2c, a + 1);
  const c = b < 0 || b >= to ? -1 : bytes.indexOf(0x2c, b + 1);
  if (c < 0 || c >= to) return null;
  const asn = smallNumber(bytes, b + 1, c);
  if (asn === null) return null;
  let start: { family: 4 | 6; key: readonly number[] } | null;
  let end: { family: 4 | 6; key: readonly number[] } | null;
  const s4 = smallNumber(bytes, from, a);
  const e4 = smallNumber(bytes, a + 1, b);
  if (s4 !== null && e4 !== null && s4 <= 0xffffffff && e4 <= 0xffffffff) {
    start = { family: 4, key: [s4] };
    end = { family: 4, key: [e4] };
  } else {
    start = bound(bytes.toString('latin1', from, a));
    end = bound(bytes.toString('latin1', a + 1, b));
  }
  if (!start || !end || start.family !== end.family) return null;
  let orgEnd = to;
  if (bytes[orgEnd - 1] === 0x0d) orgEnd -= 1;
  let org: string;
  if (bytes[c + 1] === 0x22 && orgEnd - c >= 3 && bytes[orgEnd - 1] === 0x22) {
    org = bytes.toString('utf8', c + 2, orgEnd - 1).replaceAll('""', '"');
  } else org = bytes.toString('utf8', c + 1, orgEnd);
  return { family: start.family, start: start.key, end: end.key, asn, org };
}

function build(c: Columns, orgs: readonly string[]): RangeTable {
  const n = c.asns.length;
  const w = c.width;
  // The package's files are sorted; other files are sorted here by start.
  let order: number[] | null = null;
  for (let i = 1; i < n; i++) {
    const prev = (c.starts[(i - 1) * w] as number) * 2 ** 32 + (w === 2 ? (c.starts[(i - 1) * w + 1] as number) : 0);
    const cur = (c.starts[i * w] as number) * 2 ** 32 + (w === 2 ? (c.starts[i * w + 1] as number) : 0);
    if (cur < prev) {
      const key = (k: number) => (c.starts[k * w] as number) * 2 ** 32 + (w === 2 ? (c.starts[k * w + 1] as number) : 0);
      order = Array.from({ length: n }, (_, k) => k).sort((x, y) => key(x) - key(y));
      break;
    }
  }
  const starts = new Uint32Array(n * w);
  const ends = new Uint32Array(n * w);
  const asns = new Float64Array(n);
  const orgIds = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const from = order ? (order[i] as number) : i;
    for (let k = 0; k < w; k++) {
      starts[i * w + k] = c.starts[from * w + k] as number;
      ends[i * w + k] = c.ends[from * w + k] as number;
    }
    asns[i] = c.asns[from] as number;
    orgIds[i] = c.orgIds[from] as number;
  }
  return new RangeTable(w, starts, ends, asns, orgIds, orgs);
}

export class AsnTable {
  private constructor(
    private readonly v4: RangeTable,
    private readonly v6: RangeTable,
  ) {}

  /** Reads one or more CSV files (IPv4 and IPv6 rows may be in any of them). Throws on a bad file. */
  static fromCsvFiles(paths: readonly string[]): AsnTable {
    const v4 = new Columns(1);
    const v6 = new Columns(2);
    const orgIndex = new Map<string, number>();
    const orgs: string[] = [];
    for (const path of paths) {
      const bytes = readFileSync(path);
      let lineNo = 0;
      let good = 0;
      // Byte scanning: the files hold ~500,000 rows and are read at every start.
      for (let at = 0; at < bytes.length; ) {
        let next = bytes.indexOf(0x0a, at);
        if (next < 0) next = bytes.length;
        const lineStart = at;
        at = next + 1;
        lineNo += 1;
        if (next === lineStart || bytes[lineStart] === 0x23) continue;
        const row = parseRow(bytes, lineStart, next);
        if (!row) {
          // A header line is fine; anything else means this is not a file we understand.
          if (lineNo === 1) continue;
          throw new Error(
            `${path}:${lineNo}: not an ASN range row (start,end,asn,org): ${bytes.toString('utf8', lineStart, Math.min(next, lineStart + 120))}`,
          );
        }
        good += 1;
        const cols = row.family === 4 ? v4 : v6;
        for (const k of row.start) cols.starts.push(k);
        for (const k of row.end) cols.ends.push(k);
        cols.asns.push(row.asn);
        let id = orgIndex.get(row.org);
        if (id === undefined) {
          id = orgs.length;
          orgs.push(row.org);
          orgIndex.set(row.org, id);
        }
        cols.orgIds.push(id);
      }
      if (good === 0) throw new Error(`${path}: no ASN ranges`);
    }
    return new AsnTable(build(v4, orgs), build(v6, orgs));
  }

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  lookup(ip: string): AsnInfo | null {
    const v4 = ipv4ToNumber(ip);
    if (v4 !== null) return this.v4.find(v4, 0);
    const v6 = ipv6Prefix64(ip);
    return v6 ? this.v6.find(v6[0], v6[1]) : null;
  }
}
