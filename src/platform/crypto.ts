// Secrets at rest: passwords through scrypt (memory-hard, no native addon needed); random tokens
// (API secrets, session and invite tokens) through SHA-256, which is enough for 128+ bit random values
// and keeps per-request verification cheap. Every comparison is constant-time.
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const uuid = (): string => randomUUID();

let v7LastMs = 0;
let v7Seq = 0;

/**
 * A UUIDv7 (RFC 9562): the millisecond time first and a counter after it, so ids made by one process
 * sort in the order they were made, even within one millisecond. For rows listed newest first whose
 * timestamps can tie (access logs).
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > v7LastMs) {
    v7LastMs = now;
    v7Seq = 0;
  } else if (++v7Seq > 0xfff) {
    v7LastMs += 1;
    v7Seq = 0;
  }
  const rand = randomBytes(8);
  rand[0] = ((rand[0] as number) & 0x3f) | 0x80;
  const hex = v7LastMs.toString(16).padStart(12, '0').slice(-12) + (0x7000 | v7Seq).toString(16) + rand.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Constant-time equality of two strings of possibly different length. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    // Compare anyway so the time taken does not reveal the length mismatch early.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** Hash of a high-entropy token for storage; verify with `tokenMatches`. */
export const hashToken = (token: string): string => sha256Hex(token);

export const tokenMatches = (token: string, storedHash: string): boolean => safeEqual(hashToken(token), storedHash);

const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { N, r, p, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash`, parameters stored so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A fixed hash verified when the user does not exist, so both paths cost the same. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const DIGITS = /^[1-9]\d{0,9}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Parses `scrypt$N$r$p$salt$hash`; null for anything we did not write (wrong scheme, odd parameters, short parts). */
function parseScryptHash(stored: string): ScryptHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6) return null;
  const [scheme, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (scheme !== 'scrypt' || !DIGITS.test(n) || !DIGITS.test(r) || !DIGITS.test(p) || !B64URL.test(salt) || !B64URL.test(hash)) {
    return null;
  }
  const parsed = { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
  const powerOfTwo = (parsed.N & (parsed.N - 1)) === 0;
  if (!powerOfTwo || parsed.N < 2 || parsed.N > 2 ** 20 || parsed.r > 64 || parsed.p > 16) return null;
  // An empty or short hash would make any password "match" a zero-length key: refuse it.
  if (parsed.salt.length < 8 || parsed.hash.length < 16 || parsed.hash.length > 64) return null;
  return parsed;
}

/** False for a wrong password, a missing user (`stored` null) and a malformed stored hash alike; never throws. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = parseScryptHash(stored ?? DUMMY_HASH);
  if (!parsed) return false;
  let key: Buffer;
  try {
    key = await scryptAsync(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  } catch {
    return false;
  }
  return timingSafeEqual(key, parsed.hash) && stored !== null;
}
