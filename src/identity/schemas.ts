// Wire schemas of identity: lookup (spec section 9), a person with their visitor links, unlinking
// and erasure. Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';

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
  erased: Type.Object({ profiles: Type.Integer(), links: Type.Integer(), events: Type.Integer() }),
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

export type Person = Static<typeof PersonOut>;
export type PersonLink = Static<typeof LinkOut>;
export type PeoplePage = Static<typeof PeopleOut>;
export type PersonSummary = Static<typeof PersonSummaryOut>;
export type ErasedBody = Static<typeof ErasedOut>;
