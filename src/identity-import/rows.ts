// What an identity import accepts, row by row: the columns (identity field keys from the one field
// definition, plus `email`, the HEM columns and `visitor_id`), the header check that refuses an
// unknown column before anything is stored, and the conversion of one row's cells into a profile
// patch and an optional visitor link, or the reason the row is rejected. Pure functions, shared by
// the HTTP import, the CLI and the benchmark, and tested directly.
import { isEmailLike, normalizeEmail } from '../identity/email.js';
import { IDENTITY_FIELDS, type IdentityField } from '../identity/fields.js';
import { hemsOf, isMd5Hex, isSha1Hex, isSha256Hex } from '../identity/hem.js';
import type { ProfilePatch } from '../identity/types.js';

export type ImportFormat = 'csv' | 'ndjson';

/** Columns that identify the row rather than describe the person. */
export const IDENTIFIER_COLUMNS = ['email', 'hem_sha256', 'hem_md5', 'hem_sha1', 'visitor_id'] as const;

/** Every column an import may name, identifiers first, then the identity fields in catalog order. */
export const IMPORT_COLUMNS: readonly string[] = [...IDENTIFIER_COLUMNS, ...IDENTITY_FIELDS.map((f) => f.key)];
const KNOWN = new Set(IMPORT_COLUMNS);

/** Longest text cell kept; longer is a rejected row, not a truncated value. */
export const MAX_TEXT_CHARS = 1000;
/** Longest visitor id, as on the identity routes. */
export const MAX_VISITOR_ID_CHARS = 200;
/** Longest email address (after trimming). */
export const MAX_EMAIL_CHARS = 254;
/**
 * Every character String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator), for
 * code that must trim exactly as the cells here are trimmed (the DuckDB import's SQL).
 */
export const TRIMMED_CHARS =
  '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
/** Longest reason kept per rejected row (reasons quote the offending value, shortened). */
const MAX_REASON_CHARS = 300;

export type HeaderCheck = { ok: true; columns: string[] } | { ok: false; reason: string };

const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);

/**
 * The header's names, trimmed and lowercased, checked: every name known, none twice, none empty, and
 * the row identified by `email` or by `hem_sha256` + `hem_md5`. The reason names the offending column.
 */
export function checkHeader(names: readonly string[]): HeaderCheck {
  const columns = names.map((n) => n.trim().toLowerCase());
  const empty = columns.indexOf('');
  if (empty !== -1) return { ok: false, reason: `column ${empty + 1} has no name` };
  const unknown = columns.filter((c) => !KNOWN.has(c));
  if (unknown.length > 0) {
    const list = unknown.slice(0, 5).map(quote).join(', ');
    return {
      ok: false,
      reason: `unknown column${unknown.length > 1 ? 's' : ''} ${list}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; columns are the identity field keys of GET /api/v1/field-catalog, email, hem_sha256, hem_md5, hem_sha1 and visitor_id`,
    };
  }
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice !== undefined) return { ok: false, reason: `column ${quote(twice)} appears twice` };
  if (!columns.includes('email') && !(columns.includes('hem_sha256') && columns.includes('hem_md5'))) {
    return { ok: false, reason: 'a column "email", or the columns "hem_sha256" and "hem_md5", must identify each row' };
  }
  return { ok: true, columns };
}

export type RowResult = { ok: true; patch: ProfilePatch; visitorId: string | null } | { ok: false; reason: string };

/** One cell's value: the stored value, null for empty, or the reason it cannot be stored. */
type Cell = string | number | null | { reason: string };
type Convert = (value: unknown) => Cell;

const isReason = (c: Cell): c is { reason: string } => c !== null && typeof c === 'object';
const wrongType = (key: string, expected: string, value: unknown): { reason: string } => ({
  reason: `${key} must be ${expected}, got ${Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value}`,
});

function textOf(key: string, value: unknown, max = MAX_TEXT_CHARS): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return wrongType(key, 'text', value);
  const v = value.trim();
  if (v === '') return null;
  if (v.length > max) return { reason: `${key} is longer than ${max} characters` };
  if (v.includes('\u0000')) return { reason: `${key} contains a NUL character` };
  return v;
}

function converter(field: IdentityField): Convert {
  const { key } = field;
  if (field.field_type === 'number') {
    return (value) => {
      if (value === null || value === undefined) return null;
      if (typeof value === 'number') {
        return Number.isSafeInteger(value) && value >= 0 ? value : { reason: `${key} must be a whole number of 0 or more, got ${value}` };
      }
      if (typeof value !== 'string') return wrongType(key, 'a whole number', value);
      const v = value.trim();
      if (v === '') return null;
      const n = /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
      return Number.isSafeInteger(n) ? n : { reason: `${key} must be a whole number of 0 or more, got ${quote(v)}` };
    };
  }
  if (field.options) {
    // Option values match regardless of case and surrounding spaces; the stored value is the option's own.
    const options = new Map(field.options.map((o) => [o.value.toLowerCase(), o.value]));
    const listed = field.options.map((o) => o.value).join(', ');
    return (value) => {
      if (value === null || value === undefined) return null;
      const raw = typeof value === 'boolean' ? String(value) : value;
      if (typeof raw !== 'string') return wrongType(key, 'one of its option values', value);
      const v = raw.trim();
      if (v === '') return null;
      return options.get(v.toLowerCase()) ?? { reason: `${key}: ${quote(v)} is not one of ${listed}` };
    };
  }
  return (value) => textOf(key, value);
}

const CONVERTERS: ReadonlyMap<string, Convert> = new Map(IDENTITY_FIELDS.map((f) => [f.key, converter(f)]));

/** Row conversion for one header: the header's columns, in order, with their converters. */
export class RowReader {
  private readonly plan: { key: string; convert: Convert | null }[];
  private readonly at: Record<(typeof IDENTIFIER_COLUMNS)[number], number>;

  constructor(readonly columns: readonly string[]) {
    this.plan = columns.map((key) => ({ key, convert: CONVERTERS.get(key) ?? null }));
    this.at = {
      email: columns.indexOf('email'),
      hem_sha256: columns.indexOf('hem_sha256'),
      hem_md5: columns.indexOf('hem_md5'),
      hem_sha1: columns.indexOf('hem_sha1'),
      visitor_id: columns.indexOf('visitor_id'),
    };
  }

  /** One CSV record (cells in header order). */
  fromCells(cells: readonly unknown[]): RowResult {
    if (cells.length !== this.plan.length) {
      return { ok: false, reason: `expected ${this.plan.length} columns, found ${cells.length}` };
    }
    return this.convert(cells);
  }

  /** One NDJSON record: an object whose keys are columns (any subset of IMPORT_COLUMNS). */
  static fromObject(value: unknown): RowResult {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, reason: 'each line must be a JSON object' };
    }
    const keys = Object.keys(value);
    // Lines of one file nearly always share their keys: one reader per key list, a few kept.
    const signature = keys.join('\u0000');
    let reader = RowReader.byKeys.get(signature);
    if (!reader) {
      const header = checkHeader(keys);
      if (!header.ok) return reject(header.reason);
      reader = new RowReader(header.columns);
      if (RowReader.byKeys.size >= 64) RowReader.byKeys.clear();
      RowReader.byKeys.set(signature, reader);
    }
    const record = value as Record<string, unknown>;
    return reader.convert(keys.map((k) => record[k]));
  }

  private static readonly byKeys = new Map<string, RowReader>();

  private convert(cells: readonly unknown[]): RowResult {
    const cell = (i: number): unknown => (i === -1 ? undefined : cells[i]);
    const id = this.identify(cell(this.at.email), cell(this.at.hem_sha256), cell(this.at.hem_md5), cell(this.at.hem_sha1));
    if ('reason' in id) return reject(id.reason);
    const visitor = textOf('visitor_id', cell(this.at.visitor_id), MAX_VISITOR_ID_CHARS);
    if (isReason(visitor)) return reject(visitor.reason);
    const patch: ProfilePatch = { hem_sha256: id.hem_sha256, hem_md5: id.hem_md5, hem_sha1: id.hem_sha1 };
    for (let i = 0; i < this.plan.length; i++) {
      const column = this.plan[i] as { key: string; convert: Convert | null };
      if (!column.convert) continue;
      const v = column.convert(cells[i]);
      if (isReason(v)) return reject(v.reason);
      if (v !== null) patch[column.key] = v;
    }
    return { ok: true, patch, visitorId: typeof visitor === 'string' ? visitor : null };
  }

  /** The row's HEMs: from the email (checked against any HEMs also given), or from the HEM columns. */
  private identify(
    email: unknown,
    sha256: unknown,
    md5: unknown,
    sha1: unknown,
  ): { hem_sha256: string; hem_md5: string; hem_sha1: string | null } | { reason: string } {
    const hems: Record<string, string | null> = {};
    for (const [key, value, valid] of [
      ['hem_sha256', sha256, isSha256Hex],
      ['hem_md5', md5, isMd5Hex],
      ['hem_sha1', sha1, isSha1Hex],
    ] as const) {
      const v = textOf(key, value);
      if (isReason(v)) return v;
      const hex = typeof v === 'string' ? v.toLowerCase() : null;
      if (hex !== null && !valid(hex))
        return { reason: `${key} ${quote(hex)} is not ${key === 'hem_md5' ? 32 : key === 'hem_sha1' ? 40 : 64} hexadecimal characters` };
      hems[key] = hex;
    }
    const address = textOf('email', email, MAX_EMAIL_CHARS);
    if (isReason(address)) return address;
    if (typeof address === 'string') {
      const normal = normalizeEmail(address);
      if (!isEmailLike(normal)) return { reason: `email ${quote(address)} is not a valid email address` };
      const fromEmail = hemsOf(normal);
      for (const key of ['hem_sha256', 'hem_md5', 'hem_sha1'] as const) {
        if (hems[key] && hems[key] !== fromEmail[key]) return { reason: `${key} does not match the email` };
      }
      return fromEmail;
    }
    if (!hems.hem_sha256 || !hems.hem_md5) return { reason: 'the row has no email, and no hem_sha256 and hem_md5 either' };
    return { hem_sha256: hems.hem_sha256, hem_md5: hems.hem_md5, hem_sha1: hems.hem_sha1 ?? null };
  }
}

const reject = (reason: string): RowResult => ({
  ok: false,
  reason: reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 3)}...` : reason,
});
