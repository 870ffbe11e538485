// A page view's description and heading at ingest: read top-level first, then from event_data (where
// the tracker sends them), whitespace collapsed, cut to their limits instead of refusing the event,
// and a non-string refused with a reason.
import { describe, expect, it } from 'vitest';
import { checkEvent, INGEST_LIMITS } from '../../src/collect/validate.js';

const base = {
  event_type: 'page_view',
  pixel_id: '0b6f4f52-8f0a-4f7e-9d43-3b1f8e2a9c11',
  organization_id: '6a1d2c3b-4e5f-4a7b-8c9d-0e1f2a3b4c5d',
  event_url: 'https://acme.example/cloud',
};

const page = (over: Record<string, unknown>) => {
  const r = checkEvent({ ...base, ...over });
  if (!r.ok) throw new Error(r.reason);
  return { description: r.value.description, heading: r.value.heading };
};

describe('description and heading at ingest', () => {
  it('come from event_data (the tracker) or top-level (server sends), top-level first', () => {
    expect(page({ event_data: { description: 'About clouds', heading: 'Clouds' } })).toEqual({
      description: 'About clouds',
      heading: 'Clouds',
    });
    expect(page({ description: 'Top', event_data: { description: 'Inside', heading: 'H' } })).toEqual({ description: 'Top', heading: 'H' });
    expect(page({ event_data: JSON.stringify({ heading: 'From GET' }) })).toEqual({ description: null, heading: 'From GET' });
    expect(page({})).toEqual({ description: null, heading: null });
  });

  it('collapse whitespace, treat blank as absent, and are cut rather than refused', () => {
    expect(page({ event_data: { description: '  two\n\n  lines\t here ', heading: ' \n ' } })).toEqual({
      description: 'two lines here',
      heading: null,
    });
    const long = page({ description: 'word '.repeat(500), event_data: { heading: 'h'.repeat(5000) } });
    expect(long.description?.length).toBeLessThanOrEqual(INGEST_LIMITS.descriptionLength);
    expect(long.heading).toBe('h'.repeat(INGEST_LIMITS.headingLength));
  });

  it('a top-level value that is not a string is refused; one inside event_data is ignored', () => {
    expect(checkEvent({ ...base, heading: 42 })).toEqual({ ok: false, reason: 'heading must be a string' });
    expect(checkEvent({ ...base, description: ['x'] })).toEqual({ ok: false, reason: 'description must be a string' });
    expect(page({ event_data: { description: 42 } })).toEqual({ description: null, heading: null });
  });
});
