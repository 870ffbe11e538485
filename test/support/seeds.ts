// Extracts the curl examples from the seed documents, with the response each one documents, so a
// test can replay them against the local server exactly as a reader of the docs would type them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SEEDS_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'seeds');

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

function balancedJson(text: string, start: number): { json: string; end: number } | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return { json: text.slice(start, i + 1), end: i + 1 };
    }
  }
  return null;
}

/** Splits a shell command line into words, honouring single and double quotes. */
function shellWords(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && cmd[i + 1] === '\n') {
      i++;
    } else if (/\s/.test(c)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur) words.push(cur);
  return words;
}

export function curlExamples(seedFile: string): CurlExample[] {
  const text = readFileSync(join(SEEDS_DIR, seedFile), 'utf8');
  const out: CurlExample[] = [];
  const re = /curl\s/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // The command runs while lines end in a backslash, or a quoted -d body is still open.
    let i = m.index;
    let quote: string | null = null;
    for (; i < text.length; i++) {
      const c = text[i];
      if (quote) {
        if (c === quote) quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '\n' && text[i - 1] !== '\\') break;
      else if (c === 'R' && text.startsWith('Response', i)) break;
    }
    const cmd = text.slice(m.index, i).trim();
    const words = shellWords(cmd).slice(1);
    const ex: CurlExample = { seed: seedFile, method: 'GET', url: '', headers: {} };
    for (let w = 0; w < words.length; w++) {
      const word = words[w] as string;
      if (word === '-X') ex.method = words[++w] as string;
      else if (word === '-H') {
        const h = words[++w] as string;
        const colon = h.indexOf(':');
        ex.headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
      } else if (word === '-d') {
        // The seed pages were flattened from HTML, so prose can run into the closing quote ("}'Or").
        const raw = words[++w] as string;
        ex.body = raw.slice(0, raw.lastIndexOf('}') + 1) || raw;
        if (ex.method === 'GET') ex.method = 'POST';
      } else if (/^https?:\/\//.test(word)) ex.url = word;
    }
    // A documented response follows directly under a "Response" heading.
    const after = text.slice(i, i + 200);
    const heading = /^\s*Response(?:\s*\((\d{3})[^)]*\))?\s*/.exec(after);
    if (heading) {
      const start = text.indexOf('{', i);
      const found = start >= 0 ? balancedJson(text, start) : null;
      if (found) {
        ex.documented = JSON.parse(found.json);
        if (heading[1]) ex.documentedStatus = Number(heading[1]);
      }
    }
    out.push(ex);
    re.lastIndex = i;
  }
  return out;
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
