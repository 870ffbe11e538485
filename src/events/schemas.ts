// Wire schemas of the Events API and the dashboard's event routes: query strings and bodies. Pure
// TypeBox (no server code), so the web app imports the types.
import { type Static, Type } from 'typebox';

/** Most rows one offset or cursor page may ask for. */
export const MAX_LIMIT = 10_000;

const S = (max = 200) => Type.Optional(Type.String({ maxLength: max }));

export const CommonParams = {
  source: S(50),
  pixel_id: S(100),
  project_id: S(100),
  organization_id: S(100),
  campaign_id: S(100),
  start_ms: S(20),
  end_ms: S(20),
  start_time: S(40),
  end_time: S(40),
  filter: S(20_000),
  select: S(2000),
  distinct: S(2000),
  include_bots: S(10),
};

export const EventsQuery = Type.Object({
  ...CommonParams,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  cursor: S(500),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
});

/** One stored event, by the Events API's column names (events_schema lists them). */
export const EventRecordSchema = Type.Record(Type.String(), Type.Unknown());

export const EventsOut = Type.Object({
  events: Type.Array(EventRecordSchema),
  count: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Optional(Type.Integer()),
  next_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

export const CountsQuery = Type.Object({
  ...CommonParams,
  interval: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
});

export const CountsOut = Type.Object({
  count: Type.Integer(),
  buckets: Type.Optional(Type.Array(Type.Object({ start_ms: Type.Integer(), count: Type.Integer() }))),
});

export const ExportQuery = Type.Object({
  ...CommonParams,
  format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('csv')])),
});

export const SchemaQuery = Type.Object({ source: Type.Optional(Type.String({ maxLength: 50 })) });

export const FieldsOut = Type.Object({
  fields: Type.Array(Type.Object({ name: Type.String(), data_type: Type.String(), nullable: Type.Boolean() })),
});

export const RecentQuery = Type.Object({
  pixel_id: S(100),
  project_id: S(100),
  start_ms: S(20),
  end_ms: S(20),
  filter: S(20_000),
  include_bots: S(10),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
});

/** A whole stored event (every column), as the dashboard lists them. */
export const FullEventSchema = Type.Object(
  { event_id: Type.String(), event_type: Type.String(), ts_millis: Type.Union([Type.Integer(), Type.String()]) },
  { additionalProperties: true },
);

export const RecentOut = Type.Object({
  events: Type.Array(FullEventSchema),
  count: Type.Integer(),
  limit: Type.Integer(),
  page: Type.Integer(),
  has_more: Type.Boolean(),
});

export type EventsQueryParams = Static<typeof EventsQuery>;
export type CountsQueryParams = Static<typeof CountsQuery>;
export type ExportQueryParams = Static<typeof ExportQuery>;
export type RecentQueryParams = Static<typeof RecentQuery>;
export type EventsPage = Static<typeof EventsOut>;
export type EventCounts = Static<typeof CountsOut>;
export type RecentEventsPage = Omit<Static<typeof RecentOut>, 'events'> & { events: EventRecord[] };
/** One whole stored event, as the web app reads it. */
export type EventRecord = Static<typeof FullEventSchema> & Record<string, unknown>;
