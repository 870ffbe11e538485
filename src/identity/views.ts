// Identity values → their wire shapes.
import { formatIso } from '../platform/time.js';
import type { Profile } from './fields.js';
import type { ErasedBody, Person, UnlinkedBody } from './schemas.js';
import type { Erased, Unlinked, VisitorLink } from './types.js';

export const personView = (
  hem: string,
  profile: Profile | null,
  links: readonly VisitorLink[],
  record: (p: Profile) => Record<string, string | number | null>,
): Person => ({
  hem_sha256: hem,
  profile: profile ? record(profile) : null,
  links: links.map((l) => ({
    visitor_id: l.visitor_id,
    source: l.source,
    first_seen: formatIso(l.first_seen),
    last_seen: formatIso(l.last_seen),
  })),
});

export const unlinkedView = (r: Unlinked): UnlinkedBody => ({ ...r, unlinked: true });

export const erasedView = (r: Erased & { hem_sha256: string }): ErasedBody => ({
  hem_sha256: r.hem_sha256,
  erased: { profiles: r.profiles, links: r.links, events: r.events, audience_rows: r.audienceRows },
});
