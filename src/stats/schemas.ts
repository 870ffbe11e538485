// Wire schemas of the Stats API (/api/v1/stats/..., shaped after Plausible's Stats API v1) and of
// the dashboard's stats routes: query strings and bodies. Pure TypeBox (no server code), so the web
// app imports the types.
import { type Static, Type } from 'typebox';

const S = (max: number, description?: string) => Type.Optional(Type.String({ maxLength: max, ...(description ? { description } : {}) }));

export const PERIODS = ['day', '7d', '30d', 'month', '6mo', '12mo', 'custom'] as const;
export type Period = (typeof PERIODS)[number];
export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'events',
  'bounce_rate',
  'visit_duration',
  'views_per_visit',
  'identified_visitors',
] as const;
export type Metric = (typeof METRICS)[number];

const Scope = {
  pixel_id: S(100, 'One pixel; or project_id for all of a project’s pixels'),
  project_id: S(100, 'All pixels of a project; or pixel_id'),
};

const PeriodSchema = Type.Union([
  Type.Literal('day'),
  Type.Literal('7d'),
  Type.Literal('30d'),
  Type.Literal('month'),
  Type.Literal('6mo'),
  Type.Literal('12mo'),
  Type.Literal('custom'),
]);
const IntervalSchema = Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);

const Common = {
  ...Scope,
  period: Type.Optional(PeriodSchema),
  date: S(40, 'YYYY-MM-DD (the last day of the period; default today in the project’s zone), or YYYY-MM-DD,YYYY-MM-DD with period=custom'),
  filters: S(20_000, 'The Events API filter grammar over stats properties, e.g. page:eq:/pricing,source:eq:Google'),
  metrics: S(500, `Comma-separated: ${METRICS.join(', ')} (default visitors)`),
};

export const AggregateQuery = Type.Object({
  ...Common,
  compare: Type.Optional(Type.Literal('previous_period')),
});

export const TimeseriesQuery = Type.Object({
  ...Common,
  interval: Type.Optional(IntervalSchema),
});

export const BreakdownQuery = Type.Object({
  ...Common,
  property: Type.String({
    minLength: 1,
    maxLength: 50,
    description: 'page, entry_page, source, country, ... (event:page and visit:source are read too)',
  }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Default 1' })),
});

export const RealtimeQuery = Type.Object(Scope);

/** A dashboard panel as a CSV download: a breakdown with `property`, the time series without. */
export const ExportQuery = Type.Object({
  ...Common,
  property: S(50),
  interval: TimeseriesQuery.properties.interval,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});

const Num = Type.Number();
const MetricValue = Type.Object({
  value: Num,
  /** With compare=previous_period: the previous period's value and the change (percent; points for bounce_rate). */
  previous: Type.Optional(Num),
  change: Type.Optional(Num),
});

const metricFields = <T extends ReturnType<typeof Type.Number> | typeof MetricValue>(t: T) =>
  Object.fromEntries(METRICS.map((m) => [m, Type.Optional(t)])) as Record<Metric, ReturnType<typeof Type.Optional<T>>>;

/** The period the numbers cover, in the project's zone. */
const Range = Type.Object({
  time_zone: Type.String(),
  /** First and last local day, YYYY-MM-DD. */
  from: Type.String(),
  to: Type.String(),
  /** [start_ms, end_ms): the instants the period spans. */
  start_ms: Type.Integer(),
  end_ms: Type.Integer(),
});

export const AggregateOut = Type.Object({
  results: Type.Object(metricFields(MetricValue)),
  range: Range,
  previous_range: Type.Optional(Range),
});

export const TimeseriesOut = Type.Object({
  results: Type.Array(
    Type.Object({
      /** YYYY-MM-DD, or YYYY-MM-DD HH:00:00 per hour (local); a week is named by its Monday. */
      date: Type.String(),
      start_ms: Type.Integer(),
      ...metricFields(Num),
    }),
  ),
  interval: IntervalSchema,
  range: Range,
});

/** One breakdown row: the property's value under the property's name (null: none), and the metrics. */
export const BreakdownRowSchema = Type.Object(
  {
    ...metricFields(Num),
    /** For person rows: the person's name, or their business email, from their profile. */
    label: Type.Optional(Type.String()),
  },
  { additionalProperties: Type.Union([Type.String(), Type.Null(), Type.Number()]) },
);

export const BreakdownOut = Type.Object({
  results: Type.Array(BreakdownRowSchema),
  property: Type.String(),
  page: Type.Integer(),
  limit: Type.Integer(),
  has_more: Type.Boolean(),
  range: Range,
});

export const RealtimeOut = Type.Integer({ description: 'Visitors with an event in the last 5 minutes' });

export type AggregateParams = Static<typeof AggregateQuery>;
export type TimeseriesParams = Static<typeof TimeseriesQuery>;
export type BreakdownParams = Static<typeof BreakdownQuery>;
export type RealtimeParams = Static<typeof RealtimeQuery>;
export type ExportParams = Static<typeof ExportQuery>;
export type StatsAggregate = Static<typeof AggregateOut>;
export type StatsTimeseries = Static<typeof TimeseriesOut>;
export type StatsBreakdown = Static<typeof BreakdownOut>;
export type StatsBreakdownRow = Static<typeof BreakdownRowSchema> & Record<string, string | number | null | undefined>;
export type StatsRange = Static<typeof Range>;
