// Shape checks for incoming events, written by hand because a batch must report each bad member by
// index and still accept the good ones (a schema validator would reject the whole body). Limits are
// published in docs/ingest.md.
import { isIP } from 'node:net';
import secureJson from 'secure-json-parse';

export const INGEST_LIMITS = {
  bodyBytes: 256 * 1024,
  batchEvents: 100,
  eventDataBytes: 16 * 1024,
  /** Nesting of objects and arrays inside event_data (JSON.stringify recurses, and overflowed at ~5,000). */
  eventDataDepth: 32,
  eventTypeLength: 100,
  idLength: 100,
  userAgentLength: 1000,
  /** Client timestamps further than this from server time are replaced by server time. */
  maxClockSkewMs: 24 * 3_600_000,
  /** A page's meta description and first heading are cut to these lengths (what page classification reads). */
  descriptionLength: 500,
  headingLength: 300,
} as const;

/** A client's own event id: 1 to 100 printable ASCII characters (a UUID, a hex string, "order-42:view"). */
const EVENT_ID = /^[\x21-\x7e]{1,100}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEM = /^[0-9a-f]{64}$/;
const HTTP_URL = /^https?:\/\//i;

export interface CheckedEvent {
  eventType: string;
  pixelId: string;
  organizationId: string;
  eventData: string | null;
  url: string | null;
  visitorId: string | null;
  sessionId: string | null;
  clientTs: number | null;
  title: string | null;
  /** The page's meta description and first heading (page views), cut to INGEST_LIMITS. */
  description: string | null;
  heading: string | null;
  referrer: string | null;
  language: string | null;
  screen: [number, number] | null;
  hemSha256: string | null;
  /** The client's id for this event (retries carry the same one); null when it sent none. */
  clientEventId: string | null;
  /** The visitor's user agent and IP as a server-side sender reports them; null when not sent. */
  userAgent: string | null;
  ip: string | null;
}

export type Checked = { ok: true; value: CheckedEvent } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(o: Record<string, unknown>, key: string, max: number): string | null | Error {
  const v = o[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') return new Error(`${key} must be a string`);
  if (v.length > max) return new Error(`${key} is longer than ${max} characters`);
  return v;
}

/** A non-empty string kept inside event_data, cut to `max` characters (it is the sender's own data). */
function dataString(data: unknown, key: string, max: number): string | null {
  const v = isObject(data) ? data[key] : undefined;
  return typeof v === 'string' && v !== '' ? v.slice(0, max) : null;
}

/**
 * Page text (description, heading): a string, top-level or inside event_data, with whitespace collapsed
 * and cut to `max` rather than refused, since it only feeds classification. A non-string is an error.
 */
function pageText(raw: Record<string, unknown>, data: unknown, key: string, max: number): string | null | Error {
  const top = raw[key];
  if (top !== undefined && top !== null && typeof top !== 'string') return new Error(`${key} must be a string`);
  const v = typeof top === 'string' && top !== '' ? top : dataString(data, key, max * 4);
  const text = v?.replace(/\s+/g, ' ').trim().slice(0, max);
  return text ? text : null;
}

/** Whether any of `o`'s own values is an object or array (most events' data is flat: no depth walk). */
function hasNested(o: Record<string, unknown>): boolean {
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'object' && v !== null) return true;
  }
  return false;
}

/** Whether objects and arrays nest deeper than `max` in `value`: iterative, so any depth is safe to ask about. */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The pixel an event names, lowercased, when it is a UUID (what checkEvent's pixelId will be). */
export function pixelIdOf(raw: unknown): string | null {
  const id = isObject(raw) ? raw.pixel_id : undefined;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : null;
}

/** Checks one event object; `event_data` may arrive as an object or as JSON text (GET form). */
export function checkEvent(raw: unknown): Checked {
  if (!isObject(raw)) return { ok: false, reason: 'event must be a JSON object' };
  const type = raw.event_type;
  if (typeof type !== 'string' || type.trim() === '') return { ok: false, reason: 'event_type must be a non-empty string' };
  if (type.length > INGEST_LIMITS.eventTypeLength)
    return { ok: false, reason: `event_type is longer than ${INGEST_LIMITS.eventTypeLength} characters` };
  if (typeof raw.pixel_id !== 'string' || !UUID.test(raw.pixel_id)) return { ok: false, reason: 'pixel_id must be a UUID' };
  if (typeof raw.organization_id !== 'string' || !UUID.test(raw.organization_id)) {
    return { ok: false, reason: 'organization_id must be a UUID' };
  }
  let data: unknown = raw.event_data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return { ok: false, reason: 'event_data is not valid JSON' };
    }
  }
  if (data !== undefined && data !== null && !isObject(data)) return { ok: false, reason: 'event_data must be a JSON object' };
  if (isObject(data) && hasNested(data) && deeperThan(data, INGEST_LIMITS.eventDataDepth)) {
    return { ok: false, reason: `event_data is nested deeper than ${INGEST_LIMITS.eventDataDepth} levels` };
  }
  const eventData = data === undefined || data === null ? null : JSON.stringify(data);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: only long texts are measured.
  if (
    eventData !== null &&
    eventData.length * 3 > INGEST_LIMITS.eventDataBytes &&
    Buffer.byteLength(eventData) > INGEST_LIMITS.eventDataBytes
  ) {
    return { ok: false, reason: `event_data is larger than ${INGEST_LIMITS.eventDataBytes} bytes` };
  }
  const fields = {
    event_url: optString(raw, 'event_url', 4000),
    visitor_id: optString(raw, 'visitor_id', INGEST_LIMITS.idLength),
    session_id: optString(raw, 'session_id', INGEST_LIMITS.idLength),
    title: optString(raw, 'title', 1000),
    referrer: optString(raw, 'referrer', 4000),
    lang: optString(raw, 'lang', 50),
    hem_sha256: optString(raw, 'hem_sha256', 64),
    event_id: optString(raw, 'event_id', INGEST_LIMITS.idLength),
    user_agent: optString(raw, 'user_agent', INGEST_LIMITS.userAgentLength),
    ip: optString(raw, 'ip', 45),
  };
  for (const v of Object.values(fields)) if (v instanceof Error) return { ok: false, reason: v.message };
  const description = pageText(raw, data, 'description', INGEST_LIMITS.descriptionLength);
  if (description instanceof Error) return { ok: false, reason: description.message };
  const heading = pageText(raw, data, 'heading', INGEST_LIMITS.headingLength);
  if (heading instanceof Error) return { ok: false, reason: heading.message };
  const str = (v: string | null | Error): string | null => (v instanceof Error ? null : v);
  const dataUrl = isObject(data) && typeof data.url === 'string' ? data.url.slice(0, 4000) : null;
  const url = str(fields.event_url) ?? dataUrl;
  if (url !== null && !HTTP_URL.test(url)) return { ok: false, reason: 'event_url must be an http(s) URL' };
  const clientEventId = str(fields.event_id);
  if (clientEventId !== null && !EVENT_ID.test(clientEventId)) {
    return { ok: false, reason: 'event_id must be 1 to 100 printable ASCII characters without spaces' };
  }
  const ip = str(fields.ip);
  if (ip !== null && isIP(ip) === 0) return { ok: false, reason: 'ip must be an IPv4 or IPv6 address' };
  const hem = str(fields.hem_sha256);
  if (hem !== null && !HEM.test(hem)) return { ok: false, reason: 'hem_sha256 must be 64 lowercase hex characters' };
  let clientTs: number | null = null;
  if (raw.ts !== undefined && raw.ts !== null) {
    if (typeof raw.ts !== 'number' || !Number.isSafeInteger(raw.ts) || raw.ts < 0)
      return { ok: false, reason: 'ts must be epoch milliseconds' };
    clientTs = raw.ts;
  } else if (isObject(data) && typeof data.timestamp === 'string') {
    // Delivr's own p.js sends the time only as event_data.timestamp (ISO 8601); unreadable is ignored.
    const parsed = Date.parse(data.timestamp);
    if (Number.isSafeInteger(parsed) && parsed >= 0) clientTs = parsed;
  }
  let screen: [number, number] | null = null;
  if (raw.screen !== undefined && raw.screen !== null) {
    const s = raw.screen;
    const dim = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 100_000;
    if (!Array.isArray(s) || s.length !== 2 || !dim(s[0]) || !dim(s[1])) return { ok: false, reason: 'screen must be [width, height]' };
    screen = [s[0] as number, s[1] as number];
  }
  return {
    ok: true,
    value: {
      eventType: type.trim(),
      pixelId: raw.pixel_id.toLowerCase(),
      organizationId: raw.organization_id.toLowerCase(),
      eventData,
      url,
      visitorId: str(fields.visitor_id),
      sessionId: str(fields.session_id),
      clientTs,
      // Delivr's own p.js sends title and referrer only inside event_data (spec 3.2).
      title: str(fields.title) ?? dataString(data, 'title', 1000),
      description,
      heading,
      referrer: str(fields.referrer) ?? dataString(data, 'referrer', 4000),
      language: str(fields.lang),
      screen,
      hemSha256: hem,
      clientEventId,
      userAgent: str(fields.user_agent),
      ip,
    },
  };
}

/**
 * How Fastify parses `application/json` bodies (secure-json-parse, refusing `__proto__` and
 * `constructor.prototype` keys); text/plain bodies are parsed the same way, so one body gets one
 * answer whichever content type carried it.
 */
const JSON_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/** A body is one event or `{"events": [...]}`; text/plain bodies (beacons) hold the same JSON. */
export function splitBody(
  body: unknown,
): { events: unknown[]; batch: boolean } | { error?: string; code: 'invalid_json' | 'invalid_parameters' } {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = secureJson.parse(body, JSON_OPTIONS);
    } catch {
      // Exactly the answer Fastify's JSON parser gives the same body as application/json.
      return { code: 'invalid_json' };
    }
  }
  if (isObject(parsed) && Array.isArray(parsed.events)) {
    if (parsed.events.length === 0) return { error: 'events must not be empty', code: 'invalid_parameters' };
    if (parsed.events.length > INGEST_LIMITS.batchEvents) {
      return { error: `a batch holds at most ${INGEST_LIMITS.batchEvents} events`, code: 'invalid_parameters' };
    }
    return { events: parsed.events, batch: true };
  }
  if (isObject(parsed)) return { events: [parsed], batch: false };
  return { error: 'body must be an event object or {"events": [...]}', code: 'invalid_parameters' };
}
