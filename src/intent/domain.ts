// Company domains as intent groups them: a profile's `company_domain` may be stored as "Acme.com",
// "https://www.acme.com/" or "acme.com:443", and all of these are one company. The same rule runs in
// JavaScript (for the `company_domain=` parameter) and in each engine's SQL (for stored profiles),
// built from these patterns; RE2 (both engines) and JavaScript read them alike.

/** Leading and trailing whitespace. */
export const DOMAIN_TRIM = '^\\s+|\\s+$';
/** A scheme and a `www.` in front. */
export const DOMAIN_PREFIX = '^(https?://)?(www\\.)?';
/** A port, path, query or fragment behind. */
export const DOMAIN_SUFFIX = '[/:?#].*$';

const TRIM = new RegExp(DOMAIN_TRIM, 'g');
const PREFIX = new RegExp(DOMAIN_PREFIX);
const SUFFIX = new RegExp(DOMAIN_SUFFIX);

export function normalizeDomain(raw: string): string {
  return raw.toLowerCase().replace(TRIM, '').replace(PREFIX, '').replace(SUFFIX, '');
}

/** A usable domain after normalisation: 1-253 characters, no whitespace, no `@` (an email is not a domain). */
export function isDomain(normalized: string): boolean {
  return /^[^\s@]{1,253}$/u.test(normalized) && !normalized.startsWith('.') && !normalized.endsWith('.');
}
