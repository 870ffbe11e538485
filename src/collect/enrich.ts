// Turns one validated incoming event into a stored EventRow: server time, parsed user agent, bot
// flag (isbot), page path, UTM parameters, location and network of the IP, and the IP itself kept,
// truncated or dropped per IP_MODE.
//
// Whose agent and address: the visitor's. A browser sending for itself is the visitor; a server
// sending on a visitor's behalf (spec 3.4, "without the pixel") passes the visitor's `user_agent`
// and `ip` in the event, and its own agent (`node`, `curl/8.5`, `python-requests/2.31`) and address
// say nothing about the visitor, so they are neither judged as a bot nor stored (docs/ingest.md).
//
// User agents are parsed by ua-parser-js 1.0 (MIT; 2.x is AGPL-3.0, which this Apache-2.0 project
// cannot run on every request), with its two outdated OS names replaced by the current ones.
import { isbot } from 'isbot';
import UAParser from 'ua-parser-js';
import type { EventRow } from '../analytics/types.js';
import { normalizeIp } from '../geo/ip.js';
import { type IpFacts, type IpIntel, NO_IP_FACTS } from '../geo/service.js';
import type { IpMode } from '../platform/config.js';

/** IPv4 → last octet zeroed; IPv6 → first 48 bits kept. */
export function truncateIp(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.0`;
  if (ip.includes(':')) {
    const head = ip.split('::')[0]?.split(':') ?? [];
    return `${head.slice(0, 3).join(':') || '0'}::`;
  }
  return ip;
}

export function ipFor(mode: IpMode, ip: string | null): string | null {
  if (mode === 'none' || ip === null) return null;
  const plain = normalizeIp(ip);
  return mode === 'truncate' ? truncateIp(plain) : plain;
}

/**
 * HTTP libraries and runtimes, i.e. a program rather than a browser or a crawler. With no `Origin`
 * header such a request is a server-side send: its agent is the sender's, not the visitor's.
 */
const HTTP_CLIENT =
  /^(?:node|undici|node-fetch|axios|got|ky|superagent|needle|curl|wget|python-requests|python-urllib|python-httpx|python\/|aiohttp|httpx|urllib3|go-http-client|okhttp|java\/|apache-httpclient|jakarta commons-httpclient|libwww-perl|lwp::|php|guzzlehttp|ruby|faraday|typhoeus|httpie|rest-client|restsharp|postmanruntime|insomnia|deno|bun\/|dart|reqwest|hyper\/|http\.rb|hackney|finch|mint|vert\.x|ktor-client|winhttp|\.net|microsoft\.net|powershell|aws-sdk|cloudflare-workers)(?:$|[\s/;(])/i;

/** True for a request with no browser context: no `Origin` and no agent, or an HTTP library's. */
export function isServerSend(req: Pick<RequestFacts, 'origin' | 'userAgent'>): boolean {
  if (req.origin !== undefined) return false;
  const ua = req.userAgent.trim();
  return ua === '' || HTTP_CLIENT.test(ua);
}

const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

export interface RequestFacts {
  userAgent: string;
  ip: string;
  /** The `Origin` header: browsers send it on the tracker's cross-site sends. */
  origin: string | undefined;
  acceptLanguage: string | undefined;
  receivedMs: number;
}

export interface IncomingEvent {
  eventId: string;
  eventType: string;
  tsMillis: number;
  organizationId: string;
  projectId: string;
  pixelId: string;
  visitorId: string | null;
  sessionId: string | null;
  url: string | null;
  referrer: string | null;
  title: string | null;
  description: string | null;
  heading: string | null;
  language: string | null;
  screen: [number, number] | null;
  eventData: string | null;
  hemSha256: string | null;
  /** The visitor's agent and address as the sender reported them in the event. */
  userAgent: string | null;
  ip: string | null;
}

const cap = (s: string | null, n: number): string | null => (s === null ? null : s.slice(0, n));

/** ua-parser-js 1.0 still says "Mac OS" and "Chromium OS"; Apple and Google call them macOS and Chrome OS. */
const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'Chrome OS' };

/** Parsed user agents repeat heavily; a small cache keeps parsing off the hot path. */
const uaCache = new Map<string, { browser: string | null; os: string | null; device: string; bot: boolean }>();

export function parseUa(ua: string): { browser: string | null; os: string | null; device: string; bot: boolean } {
  const hit = uaCache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua).getResult();
  const bot = ua === '' || isbot(ua);
  const value = {
    browser: r.browser.name ?? null,
    os: r.os.name === undefined ? null : (OS_NAMES[r.os.name] ?? r.os.name),
    device: bot ? 'bot' : (r.device.type ?? 'desktop'),
    bot,
  };
  if (uaCache.size > 5000) uaCache.clear();
  uaCache.set(ua, value);
  return value;
}

const NOT_JUDGED = { browser: null, os: null, device: null, bot: false } as const;

interface UrlParts {
  path: string | null;
  utm: Readonly<Record<(typeof UTM)[number], string | null>>;
}

const NO_URL_PARTS: UrlParts = {
  path: null,
  utm: { utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null },
};

/** A site's pages repeat as its UTM-tagged links do: parsed URLs (up to 1,000 characters) are cached like user agents. */
const urlCache = new Map<string, UrlParts>();

/** The path and UTM parameters of a page URL; a text that is not a URL has neither (it is kept as given). */
export function urlParts(url: string): UrlParts {
  const hit = urlCache.get(url);
  if (hit) return hit;
  let value = NO_URL_PARTS;
  try {
    const u = new URL(url);
    const q = u.searchParams;
    value = {
      path: u.pathname,
      utm: {
        utm_source: cap(q.get('utm_source'), 500),
        utm_medium: cap(q.get('utm_medium'), 500),
        utm_campaign: cap(q.get('utm_campaign'), 500),
        utm_term: cap(q.get('utm_term'), 500),
        utm_content: cap(q.get('utm_content'), 500),
      },
    };
  } catch {
    // Not a URL: no path or UTM.
  }
  if (url.length > 1000) return value;
  if (urlCache.size > 5000) urlCache.clear();
  urlCache.set(url, value);
  return value;
}

export function enrich(e: IncomingEvent, req: RequestFacts, ipMode: IpMode, intel: IpIntel | null): EventRow {
  const serverSend = isServerSend(req);
  const userAgent = e.userAgent ?? (serverSend ? null : req.userAgent);
  const ip = e.ip ?? (serverSend ? null : req.ip);
  const ua = userAgent === null ? NOT_JUDGED : parseUa(userAgent);
  // Looked up on the full address, before IP_MODE truncates or drops it.
  const place: IpFacts = ip !== null && intel ? intel.lookup(ip) : NO_IP_FACTS;
  const { path, utm } = e.url ? urlParts(e.url) : NO_URL_PARTS;
  const language = e.language ?? req.acceptLanguage?.split(',')[0]?.trim() ?? null;
  return {
    event_id: e.eventId,
    event_type: e.eventType,
    ts_millis: e.tsMillis,
    received_millis: req.receivedMs,
    organization_id: e.organizationId,
    project_id: e.projectId,
    pixel_id: e.pixelId,
    visitor_id: e.visitorId,
    session_id: e.sessionId,
    url: cap(e.url, 4000),
    path: cap(path, 2000),
    referrer: cap(e.referrer, 4000),
    title: cap(e.title, 1000),
    user_agent: cap(userAgent, 1000) || null,
    browser: ua.browser,
    os: ua.os,
    device_type: ua.device,
    ip: ipFor(ipMode, ip),
    language: cap(language, 50),
    screen_width: e.screen?.[0] ?? null,
    screen_height: e.screen?.[1] ?? null,
    ...utm,
    event_data: e.eventData,
    is_bot: ua.bot,
    resolved: e.hemSha256 !== null,
    hem_sha256: e.hemSha256,
    country: place.country,
    region: place.region,
    city: place.city,
    asn: place.asn,
    network_org: place.network_org,
    network_type: place.network_type,
    description: e.description,
    heading: e.heading,
  };
}
