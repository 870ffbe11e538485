// Hashed emails (HEMs): the one module that turns an email into its SHA-256, MD5 and SHA-1, after
// the one normalisation (identity/email.ts: trim, lowercase). Ingest, import and lookup call it; the
// tracker bundles the same normalisation and hashes SHA-256 in the browser.
import { createHash, hash } from 'node:crypto';
import { normalizeEmail } from './email.js';

/**
 * One-shot `crypto.hash` (Node 20.12+) costs a third of `createHash().update().digest()`, which
 * matters at import scale (three hashes per row, a million rows); older Node falls back.
 */
const digestHex: (algorithm: 'sha256' | 'md5' | 'sha1', text: string) => string =
  typeof hash === 'function'
    ? (algorithm, text) => hash(algorithm, text, 'hex')
    : (algorithm, text) => createHash(algorithm).update(text).digest('hex');

export interface Hems {
  hem_sha256: string;
  hem_md5: string;
  hem_sha1: string;
}

export function hemsOf(email: string): Hems {
  const n = normalizeEmail(email);
  return {
    hem_sha256: digestHex('sha256', n),
    hem_md5: digestHex('md5', n),
    hem_sha1: digestHex('sha1', n),
  };
}

export const isSha256Hex = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);
export const isMd5Hex = (s: string): boolean => /^[0-9a-f]{32}$/.test(s);
export const isSha1Hex = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);
