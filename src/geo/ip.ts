// Parsing of textual IP addresses into the numbers the range tables compare. Only what lookups
// need: an IPv4 address as one unsigned 32-bit number, an IPv6 address as its top 64 bits (two
// unsigned 32-bit halves), because routing and allocation data never splits a /64.
import { isIP } from 'node:net';

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket reports) as plain IPv4. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

/** The address as a uint32, or null when `ip` is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

/** The top 64 bits of an IPv6 address as [high 32, low 32], or null when `ip` is not IPv6. */
export function ipv6Prefix64(ip: string): [number, number] | null {
  if (isIP(ip) !== 6) return null;
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) sits in the low 32 bits: not needed.
  let text = ip.split('%')[0] ?? ip;
  const v4tail = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (v4tail) text = `${text.slice(0, v4tail.index)}0:0`;
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const g = (i: number) => Number.parseInt(groups[i] ?? '0', 16);
  return [(g(0) * 65536 + g(1)) >>> 0, (g(2) * 65536 + g(3)) >>> 0];
}
