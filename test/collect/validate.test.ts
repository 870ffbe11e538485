// The hand-written shape checks of ingest (collect/validate.ts): ids that are not UUIDs, the depth
// and size limits of event_data with their shortcuts, and which bad field answers.
import { describe, expect, it } from 'vitest';
import { checkEvent, INGEST_LIMITS } from '../../src/collect/validate.js';

const PIXEL = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
const ORG = '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d';
const base = { event_type: 'page_view', pixel_id: PIXEL, organization_id: ORG };
const reason = (raw: unknown): string | null => {
  const r = checkEvent(raw);
  return r.ok ? null : r.reason;
};

describe('ids', () => {
  it('decides an event whose ids are not UUIDs', () => {
    expect(reason({ ...base, pixel_id: PIXEL.replace('-', '_') })).toBe('pixel_id must be a UUID');
    expect(reason({ ...base, organization_id: `${ORG} ` })).toBe('organization_id must be a UUID');
    const ok = checkEvent({ ...base, pixel_id: PIXEL.toUpperCase() });
    expect(ok.ok && ok.value.pixelId).toBe(PIXEL);
  });
});

describe('event_data limits', () => {
  const nested = (levels: number): unknown => {
    let v: unknown = 'leaf';
    for (let i = 0; i < levels; i++) v = i % 2 ? { k: v } : [v];
    return v;
  };

  it('takes data nested to the limit and refuses one level more, in objects and arrays', () => {
    // event_data itself is the first level.
    expect(reason({ ...base, event_data: { a: nested(INGEST_LIMITS.eventDataDepth - 1) } })).toBeNull();
    expect(reason({ ...base, event_data: { flat: 1, a: nested(INGEST_LIMITS.eventDataDepth) } })).toBe(
      `event_data is nested deeper than ${INGEST_LIMITS.eventDataDepth} levels`,
    );
  });

  it('measures the size in UTF-8 bytes, not characters', () => {
    const limit = INGEST_LIMITS.eventDataBytes;
    // Three bytes each: the characters fit the limit, the bytes do not.
    const euros = '€'.repeat(Math.ceil(limit / 3));
    expect(reason({ ...base, event_data: { t: euros } })).toBe(`event_data is larger than ${limit} bytes`);
    expect(reason({ ...base, event_data: { t: '€'.repeat(Math.floor(limit / 3) - 10) } })).toBeNull();
    expect(reason({ ...base, event_data: { t: 'a'.repeat(limit) } })).toBe(`event_data is larger than ${limit} bytes`);
    expect(reason({ ...base, event_data: { t: 'a'.repeat(limit - 20) } })).toBeNull();
  });
});

describe('field errors', () => {
  it('answers with the first bad field in the documented order', () => {
    expect(reason({ ...base, visitor_id: 7, title: 8 })).toBe('visitor_id must be a string');
    expect(reason({ ...base, title: 'x'.repeat(1001), ip: 9 })).toBe('title is longer than 1000 characters');
    expect(reason({ ...base, ip: 9 })).toBe('ip must be a string');
    expect(reason({ ...base, ip: 'not-an-ip' })).toBe('ip must be an IPv4 or IPv6 address');
    expect(reason({ ...base, event_url: 'ftp://x.example/' })).toBe('event_url must be an http(s) URL');
    expect(reason({ ...base, event_id: 'has space' })).toBe('event_id must be 1 to 100 printable ASCII characters without spaces');
  });

  it('keeps every field of a good event', () => {
    const r = checkEvent({
      ...base,
      event_url: 'HTTPS://shop.example/a',
      visitor_id: 'v1',
      session_id: 's1',
      title: 'T',
      referrer: 'https://r.example/',
      lang: 'en',
      hem_sha256: 'a'.repeat(64),
      event_id: 'e-1',
      user_agent: 'UA',
      ip: '203.0.113.9',
    });
    expect(r.ok && r.value).toMatchObject({
      url: 'HTTPS://shop.example/a',
      visitorId: 'v1',
      sessionId: 's1',
      title: 'T',
      referrer: 'https://r.example/',
      language: 'en',
      hemSha256: 'a'.repeat(64),
      clientEventId: 'e-1',
      userAgent: 'UA',
      ip: '203.0.113.9',
    });
  });
});
