// Hashed emails (HEMs): the one module that turns an email into its SHA-256, MD5 and SHA-1, after
// the one normalisation (identity/email.ts: trim, lowercase). Ingest, import and lookup call it; the
// tracker bundles the same normalisation and hashes SHA-256 in the browser.
import { createHash } from 'node:crypto';
import { normalizeEmail } from './email.js';

export interface Hems {
  hem_sha256: string;
  hem_md5: string;
  hem_sha1: string;
}

export function hemsOf(email: string): Hems {
  const n = normalizeEmail(email);
  return {
    hem_sha256: createHash('sha256').update(n).digest('hex'),
    hem_md5: createHash('md5').update(n).digest('hex'),
    hem_sha1: createHash('sha1').update(n).digest('hex'),
  };
}

export const isSha256Hex = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);
export const isMd5Hex = (s: string): boolean => /^[0-9a-f]{32}$/.test(s);
export const isSha1Hex = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);
