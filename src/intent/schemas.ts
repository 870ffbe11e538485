// Wire schemas of intent: a person's or a company's topics with their scores, one score explained,
// and the dashboard's panel for a person. Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';

const Day = Type.String({ description: 'YYYY-MM-DD (UTC)' });
const NullableString = Type.Union([Type.String(), Type.Null()]);

const Subject = {
  hem: Type.Optional(Type.String({ maxLength: 200, description: "the person's SHA-256 HEM (give this or company_domain)" })),
  company_domain: Type.Optional(
    Type.String({ maxLength: 300, description: 'a company domain, as on profiles (`acme.com`; scheme, `www.` and path are ignored)' }),
  ),
};
const WindowDays = Type.Optional(Type.Integer({ minimum: 1, maximum: 14, description: 'days of recent activity scored, default 7' }));

export const IntentQuery = Type.Object({ ...Subject, window_days: WindowDays });
export const ExplainQuery = Type.Object({ ...Subject, topic_id: Type.String({ minLength: 1, maxLength: 100 }), window_days: WindowDays });
export const PanelQuery = Type.Object({ window_days: WindowDays });
export const PanelParams = Type.Object({
  org_id: Type.String({ minLength: 1, maxLength: 100 }),
  hem_sha256: Type.String({ minLength: 1, maxLength: 200 }),
});

export const TopicScoreOut = Type.Object({
  topic_id: Type.String(),
  name: Type.String(),
  intent_score: Type.Integer({
    minimum: 0,
    maximum: 100,
    description: '50 = the normal level of this person or company; 60 or more: surging',
  }),
  intent_frequency: Type.Integer({ description: 'page views on the topic in the window' }),
  surging: Type.Boolean(),
});

const SubjectOut = {
  hem_sha256: NullableString,
  company_domain: NullableString,
};

export const IntentOut = Type.Object({
  ...SubjectOut,
  window_days: Type.Integer(),
  as_of: Day,
  topics: Type.Array(TopicScoreOut, { description: 'topics with page views in the window, best first' }),
});

export const ExplainOut = Type.Object({
  ...SubjectOut,
  ...TopicScoreOut.properties,
  window_days: Type.Integer(),
  as_of: Day,
  window: Type.Object({
    start: Day,
    end: Day,
    observed: Type.Number({ description: 'relevance-weighted page views in the window, each day halved per 7 days of age' }),
    expected: Type.Number({ description: 'what the baseline predicts for the same window' }),
  }),
  baseline: Type.Object({
    start: Day,
    end: Day,
    days: Type.Integer({ description: 'days before the window that form the baseline (56)' }),
    known_days: Type.Integer({ description: 'of those, the days on which the subject was already seen' }),
    views: Type.Integer({ description: 'page views on the topic in the baseline days' }),
    weighted: Type.Number({ description: 'the same views, relevance-weighted' }),
    daily: Type.Number({ description: 'relevance-weighted views per day that are normal for the subject' }),
    own_share: Type.Number({ description: "share of `daily` from the subject's own history (the rest is the organization's rate)" }),
    organization_daily: Type.Number({ description: "the organization's relevance-weighted views per reader per day on the topic" }),
  }),
  pages: Type.Array(
    Type.Object({
      url: Type.String(),
      title: Type.String(),
      count: Type.Integer({ description: 'views in the window' }),
      relevance: Type.Number({ description: '0..1: how much the page is about the topic' }),
    }),
    { description: 'the pages viewed in the window that count for the topic, most viewed first (at most 100)' },
  ),
  days: Type.Array(Type.Object({ date: Day, count: Type.Integer(), weighted: Type.Number() }), {
    description: 'days of the window with page views on the topic, ascending',
  }),
});

export const PersonIntentOut = Type.Object({
  hem_sha256: Type.String(),
  window_days: Type.Integer(),
  as_of: Day,
  topics: Type.Array(TopicScoreOut),
  surging: Type.Array(ExplainOut, { description: 'the surging topics (at most 5), each explained' }),
});

export type IntentBody = Static<typeof IntentOut>;
export type IntentExplanation = Static<typeof ExplainOut>;
export type IntentTopicScore = Static<typeof TopicScoreOut>;
export type PersonIntentBody = Static<typeof PersonIntentOut>;

/** The audience builder's topic list: people surging per topic (score 60 and above) in the window. */
export const SurgingTopicsQuery = Type.Object({
  window_days: WindowDays,
  topic_ids: Type.Optional(
    Type.String({ maxLength: 5000, description: 'Comma-separated topic ids; default: every topic read in the window' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Topics to return, most surging first (default 20)' })),
});
export const SurgingTopicsOut = Type.Object({
  window_days: Type.Integer(),
  topics: Type.Array(Type.Object({ topic_id: Type.String(), name: Type.String(), surging_people: Type.Integer() })),
});
export type SurgingTopicsBody = Static<typeof SurgingTopicsOut>;
