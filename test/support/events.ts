// A stored event row for tests that put events straight into the analytics store (at times ingest
// would not accept, such as weeks ago): every nullable field null unless given.
import { randomUUID } from 'node:crypto';
import { EVENT_FIELDS, type EventRow } from '../../src/analytics/types.js';

export function eventRow(over: Pick<EventRow, 'organization_id' | 'project_id' | 'pixel_id' | 'ts_millis'> & Partial<EventRow>): EventRow {
  const nulls = Object.fromEntries(EVENT_FIELDS.filter((f) => f.nullable).map((f) => [f.name, null]));
  return {
    ...(nulls as Partial<EventRow>),
    event_id: randomUUID(),
    event_type: 'page_view',
    received_millis: over.ts_millis,
    url: 'https://site.example/',
    path: '/',
    is_bot: false,
    resolved: false,
    ...over,
  } as EventRow;
}
