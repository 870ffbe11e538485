// Wire schemas of audiences (spec sections 5 and 16): the create/edit bodies, the audience object,
// the preview, the list, the sample's contacts and the download's query. Pure TypeBox, so the web
// app imports the types (src/wire.ts). A filter's inner rules are checked by filter.ts, which names
// the unknown field, operator or topic in its 400; the schema only fixes the outer group's shape.
import { type Static, Type } from 'typebox';

export const WINDOW_DAYS = { min: 1, max: 14, default: 1 } as const;
export const RECORD_LIMIT_MAX = 10_000_000;

const Status = Type.Union([
  Type.Literal('Pending'),
  Type.Literal('Processing'),
  Type.Literal('Syncing'),
  Type.Literal('Completed'),
  Type.Literal('Failed'),
]);
const AudienceTypeSchema = Type.Union([Type.Literal('intents'), Type.Literal('events')], {
  description: 'intents: people by topic intent (INTENT rules) and profile fields; events: people by their events in the window',
});
const Schedule = Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('manual')], {
  description: 'daily: every day 09:00 UTC; weekly: Saturdays 18:00 UTC; manual: only on refresh. Default daily',
});
const WindowDays = Type.Integer({
  minimum: WINDOW_DAYS.min,
  maximum: WINDOW_DAYS.max,
  description: 'Lookback window in days (1-14, default 1)',
});
const NullableTime = Type.Union([Type.String(), Type.Null()]);

export const FilterSchema = Type.Object(
  {
    op: Type.Union([Type.Literal('AND'), Type.Literal('OR')]),
    rules: Type.Array(Type.Object({}, { additionalProperties: true }), {
      minItems: 1,
      maxItems: 100,
      description:
        'Nested groups {"op","rules"}, intent rules {"type": "INTENT", "topic_ids": [...], "min_score": 0-100} and field rules ' +
        '{"field": field_key, "operator": one of the field\'s operators, "value"} (GET /api/v1/field-catalog); see docs/audiences.md',
    }),
  },
  { description: 'A group of rules joined by AND or OR; groups nest (at most 5 deep, 100 rules in all)' },
);

export const AudienceCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  type: AudienceTypeSchema,
  filter: FilterSchema,
  refresh_schedule: Type.Optional(Schedule),
  intent_window_days: Type.Optional(WindowDays),
  mode: Type.Optional(
    Type.Union([Type.Literal('preview'), Type.Literal('unload')], {
      description: 'preview: answer the size estimate and store nothing; unload (default): create the audience and queue its first run',
    }),
  ),
  project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Or the X-Project-Id header, or ?project_id=' })),
  organization_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The caller's organization, when given" })),
});

export const AudiencePatchBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  filter: Type.Optional(FilterSchema),
  intent_window_days: Type.Optional(WindowDays),
  refresh_schedule: Type.Optional(Schedule),
});

export const BucketCounts = Type.Record(Type.String(), Type.Integer(), {
  description:
    'Profiles per intent-score band of the last run: low 0-39, medium 40-59, high 60-79, very_high 80-100 (intents audiences; {} for events)',
});

export const AudienceOut = Type.Object({
  audience_id: Type.Integer(),
  organization_id: Type.String(),
  project_id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  type: AudienceTypeSchema,
  status: Status,
  filter: FilterSchema,
  refresh_schedule: Schedule,
  renew_time: Type.Union([Type.String(), Type.Null()], { description: 'When the scheduler runs it next (null: manual, or paused)' }),
  previous_renew_time: NullableTime,
  paused_at: NullableTime,
  pause_reason: Type.Union([Type.Literal('manual'), Type.Literal('org_inactive'), Type.Literal('project_inactive'), Type.Null()]),
  task_id: Type.Union([Type.String(), Type.Null()], { description: 'The run in progress or last run; cleared by refresh' }),
  intent_window_days: Type.Integer(),
  bucket_counts: BucketCounts,
  record_count: Type.Integer({ description: 'Rows of the last completed run (one per person)' }),
  distinct_profile_count: Type.Integer({ description: 'Of those, the people with a stored profile' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed' }),
  created_at: Type.String(),
  updated_at: Type.String(),
  completed_at: NullableTime,
});

export const AudienceBody = Type.Object({ audience: AudienceOut });
export const AudienceList = Type.Object({ audiences: Type.Array(AudienceOut), total: Type.Integer() });
export const AudiencePreview = Type.Object({
  preview: Type.Object({
    record_count: Type.Integer(),
    distinct_profile_count: Type.Integer(),
    bucket_counts: BucketCounts,
  }),
});

const ProfileCell = Type.Union([Type.String(), Type.Integer(), Type.Null()]);

export const Contact = Type.Object(
  {
    hem_sha256: Type.String(),
    hem_md5: Type.Union([Type.String(), Type.Null()]),
    hem_sha1: Type.Union([Type.String(), Type.Null()]),
    intent_score: Type.Union([Type.Integer(), Type.Null()], { description: 'Best score among the matched topics (null: events audience)' }),
    intent_frequency: Type.Integer({ description: 'Intents: page views on the matched topics in the window; events: matching events' }),
    impression_count: Type.Integer({ description: 'Ad impressions in the window: always 0 here (no ad-impression source)' }),
    matched_topics: Type.Array(Type.String(), { description: 'Topic ids that matched, best first' }),
  },
  {
    additionalProperties: ProfileCell,
    description: "One person: the hashes, every identity field of the field catalog (null where unknown) and the audience's own columns",
  },
);
export type AudienceContact = Static<typeof Contact> & Record<string, string | number | null | string[]>;
export const SampleOut = Type.Object({ contacts: Type.Array(Contact) });

export const ProjectQuery = Type.Object({ project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) });
export const SampleQuery = Type.Object({
  project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Contacts to return (default 25)' })),
});
export const DownloadQuery = Type.Object({
  project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  record_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: RECORD_LIMIT_MAX, description: 'At most this many rows; 0 = all' })),
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { description: 'csv (default) or ndjson' })),
});
export const AudienceParams = Type.Object({ audience_id: Type.String({ minLength: 1, maxLength: 64 }) });

export type AudienceView = Static<typeof AudienceOut>;
export type AudienceBodyOut = Static<typeof AudienceBody>;
export type AudienceListBody = Static<typeof AudienceList>;
export type AudiencePreviewBody = Static<typeof AudiencePreview>;
export type AudienceCreateInput = Static<typeof AudienceCreateBody>;
export type AudiencePatchInput = Static<typeof AudiencePatchBody>;
export type AudienceSampleBody = Static<typeof SampleOut>;
export type AudienceFilterInput = Static<typeof FilterSchema>;
