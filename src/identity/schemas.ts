// Wire schemas of identity: lookup (spec section 9), a person with their visitor links, unlinking
// and erasure, and the dashboard's People and Person pages. Pure TypeBox, so the web app imports
// the types.
import { type Static, Type } from 'typebox';
import { type RecentEventsPage, RecentOut } from '../events/schemas.js';
import { NullableString } from '../platform/schemas.js';

const Hex64 = Type.String({ minLength: 1, maxLength: 200, description: 'SHA-256 HEM, 64 hexadecimal characters' });

export const LookupQuery = Type.Object({
  hem: Type.Optional(Type.String({ maxLength: 200 })),
  hem_type: Type.Optional(Type.String({ maxLength: 20 })),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  select: Type.Optional(Type.String({ maxLength: 2000 })),
  filter: Type.Optional(Type.String({ maxLength: 20_000 })),
});

/** One flat identity record: the three HEMs and the identity fields of the field catalog. */
export const IdentityRecord = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()]));

export const LinkOut = Type.Object({
  visitor_id: Type.String(),
  source: Type.String({ description: 'form | identify | send_event | sync | import' }),
  first_seen: Type.String(),
  last_seen: Type.String(),
});

export const PersonOut = Type.Object({
  hem_sha256: Type.String(),
  profile: Type.Union([IdentityRecord, Type.Null()]),
  links: Type.Array(LinkOut),
});

export const PersonParams = Type.Object({ hem_sha256: Hex64 });
export const LinkParams = Type.Object({ hem_sha256: Hex64, visitor_id: Type.String({ minLength: 1, maxLength: 200 }) });
export const EraseQuery = Type.Object({ email: Type.Optional(Type.String({ maxLength: 320 })) });

export const ErasedOut = Type.Object({
  hem_sha256: Type.String(),
  erased: Type.Object({ profiles: Type.Integer(), links: Type.Integer(), events: Type.Integer(), audience_rows: Type.Integer() }),
});
export const UnlinkedOut = Type.Object({ hem_sha256: Type.String(), visitor_id: Type.String(), unlinked: Type.Boolean() });

export const PeopleQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
});
export const PersonSummaryOut = Type.Object({
  hem_sha256: Type.String(),
  visitors: Type.Integer(),
  last_seen: Type.String(),
  profile: Type.Union([IdentityRecord, Type.Null()]),
});
export const PeopleOut = Type.Object({ people: Type.Array(PersonSummaryOut), total: Type.Integer() });

// The dashboard (session API): the People list and a Person page.

export const DashboardPeopleQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
});

/** One row of the People page: who they are (when a profile says so) and how much we saw of them. */
export const PersonRowOut = Type.Object({
  hem_sha256: Type.String(),
  name: Type.Union([Type.String(), Type.Null()], { description: 'first and last name from the profile; null without one' }),
  email: Type.Union([Type.String(), Type.Null()], { description: 'business email, else personal email, from the profile' }),
  company_name: NullableString,
  job_title: NullableString,
  has_profile: Type.Boolean(),
  last_seen: Type.String({ description: 'latest signal of any linked visitor (ISO 8601)' }),
  visitors: Type.Integer({ description: 'visitors linked to the person' }),
  events: Type.Integer({ description: 'events resolved to the person in the last 400 days' }),
});
export const DashboardPeopleOut = Type.Object({
  people: Type.Array(PersonRowOut),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const TimelineQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
});

/** One identity field of a profile, with what the dashboard shows for it. */
export const ProfileFieldOut = Type.Object({
  key: Type.String(),
  label: Type.String(),
  category: Type.Union([Type.Literal('contact'), Type.Literal('company'), Type.Literal('demographics')]),
  value: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  /** The value as people read it (an option's label, a number with separators); null when unknown. */
  display: NullableString,
});

export const DashboardPersonOut = Type.Object({
  hem_sha256: Type.String(),
  name: NullableString,
  email: NullableString,
  profile: Type.Union([IdentityRecord, Type.Null()]),
  /** Every identity field in field-catalog order, grouped by `category`. */
  fields: Type.Array(ProfileFieldOut),
  links: Type.Array(LinkOut),
  /** The person's events, newest first (resolved through their links), one page: the Events page's page. */
  timeline: Type.Object({
    ...RecentOut.properties,
    count: Type.Integer({ description: 'events resolved to the person in the last 400 days' }),
  }),
});

export type Person = Static<typeof PersonOut>;
export type PersonLink = Static<typeof LinkOut>;
export type PeoplePage = Static<typeof PeopleOut>;
export type PersonSummary = Static<typeof PersonSummaryOut>;
export type ErasedBody = Static<typeof ErasedOut>;
export type UnlinkedBody = Static<typeof UnlinkedOut>;
export type DashboardPeople = Static<typeof DashboardPeopleOut>;
export type PersonRow = Static<typeof PersonRowOut>;
export type ProfileField = Static<typeof ProfileFieldOut>;
export type DashboardPerson = Omit<Static<typeof DashboardPersonOut>, 'timeline'> & { timeline: RecentEventsPage };
