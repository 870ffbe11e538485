// The curl examples of the seed documents, with the response each one documents, so a test can
// replay them against the local server exactly as a reader of the docs would type them. The
// examples are facts kept in test/fixtures/seeds.ts (see its header for where they come from).
import { SEED_EXAMPLES, type SeedFile } from '../fixtures/seeds.js';

export interface CurlExample {
  seed: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The JSON shown right after the command under a "Response" heading, if any. */
  documented?: unknown;
  documentedStatus?: number;
}

export function curlExamples(seedFile: SeedFile): CurlExample[] {
  return structuredClone(SEED_EXAMPLES[seedFile]);
}

const UUID_PREFIX = /^[0-9a-f]{8}-[0-9a-f]{4}-/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SQL_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/**
 * Differences between a documented example and a real response: every documented key must be
 * there with the same JSON type; truncated example values ("5b6f6b47-...") must match in kind
 * (uuid, dlvr_ key, hex secret, HS256 JWT, URL pattern); other literal values must be equal.
 */
export function shapeMismatches(doc: unknown, actual: unknown, path = '$'): string[] {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(doc) !== kind(actual)) return [`${path}: documented ${kind(doc)}, got ${kind(actual)} (${JSON.stringify(actual)})`];
  if (Array.isArray(doc) && Array.isArray(actual)) {
    return doc.flatMap((d, i) =>
      actual.some((a) => shapeMismatches(d, a).length === 0) ? [] : [`${path}[${i}]: no element matches ${JSON.stringify(d)}`],
    );
  }
  if (kind(doc) === 'object') {
    const d = doc as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    return Object.keys(d).flatMap((k) => (k in a ? shapeMismatches(d[k], a[k], `${path}.${k}`) : [`${path}.${k}: missing`]));
  }
  if (typeof doc === 'string' && typeof actual === 'string') {
    const ok = (() => {
      if (SQL_TIME.test(doc)) return SQL_TIME.test(actual);
      if (!doc.includes('...')) return doc === actual;
      const prefix = doc.slice(0, doc.indexOf('...'));
      if (prefix.startsWith('dlvr_')) return /^dlvr_[0-9a-f]{7,}/.test(actual);
      if (prefix.startsWith('eyJhbGciOiJIUzI1NiIs')) return actual.startsWith('eyJhbGciOiJIUzI1NiIs');
      if (prefix.includes('/pixels/')) return /\/pixels\/[0-9a-f-]{36}\/p\.js$/.test(actual);
      if (UUID_PREFIX.test(prefix)) return UUID.test(actual);
      if (/^[0-9a-f]+$/.test(prefix)) return /^[0-9a-f]{32,}$/.test(actual);
      return actual.startsWith(prefix);
    })();
    return ok ? [] : [`${path}: documented ${JSON.stringify(doc)}, got ${JSON.stringify(actual)}`];
  }
  return doc === actual ? [] : [`${path}: documented ${JSON.stringify(doc)}, got ${JSON.stringify(actual)}`];
}
