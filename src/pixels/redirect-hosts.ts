// Where a pixel's public endpoints may redirect a visitor. `send-event/get?redir=` and the cookie
// sync answer with a 302 to a URL the request names; without a list, anyone could use the platform
// as an open redirect (phishing links through a trusted host). The pixel's owner registers the host
// names its redirects go to: `shop.example.com` (that host), `*.example.com` (its subdomains, not
// the apex). Stored lowercase, IDNs as punycode, comma-separated in the catalog.
import { fail } from '../platform/errors.js';

export const REDIRECT_HOST_LIMITS = { hosts: 50, length: 253 } as const;

/** A DNS name of letters, digits and hyphens (punycode for IDNs), optionally under `*.`. */
const HOST = /^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** One entry in canonical form, or null when it is not a host name (or `*.` + host name). */
function canonicalHost(raw: string): string | null {
  const text = raw.trim().toLowerCase().replace(/\.$/, '');
  if (text === '' || text.length > REDIRECT_HOST_LIMITS.length) return null;
  const wildcard = text.startsWith('*.');
  const name = wildcard ? text.slice(2) : text;
  let ascii: string;
  try {
    const u = new URL(`http://${name}/`);
    // Anything beyond a bare host (a port, a path, credentials) changes what the parser returns.
    if (u.host !== u.hostname || u.pathname !== '/' || u.username || u.password || u.search || u.hash) return null;
    ascii = u.hostname;
  } catch {
    return null;
  }
  const host = wildcard ? `*.${ascii}` : ascii;
  return HOST.test(host) ? host : null;
}

/** Checks a list from a request (400 naming the first bad entry) and returns it canonical, sorted, once each. */
export function normaliseRedirectHosts(list: readonly string[]): string[] {
  if (list.length > REDIRECT_HOST_LIMITS.hosts) throw fail('invalid_parameters', `at most ${REDIRECT_HOST_LIMITS.hosts} redirect hosts`);
  const out = new Set<string>();
  for (const raw of list) {
    const host = canonicalHost(raw);
    if (host === null) {
      throw fail(
        'invalid_parameters',
        `redirect_hosts: "${raw.slice(0, 80)}" is not a host name (example.com, or *.example.com for its subdomains)`,
      );
    }
    out.add(host);
  }
  return [...out].sort();
}

export const parseStoredRedirectHosts = (stored: string): string[] => (stored === '' ? [] : stored.split(','));

/** Whether `hostname` (as the URL parser gives it: lowercase, punycode) is on the list. */
export function redirectHostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const host = hostname.replace(/\.$/, '');
  return allowed.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry,
  );
}
