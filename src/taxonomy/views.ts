// Catalog rows of the taxonomy → their wire shapes (schemas.ts has the schemas), and a request
// body → what the service takes.
import { fail } from '../platform/errors.js';
import { formatIso } from '../platform/time.js';
import type { TopicRequestInputBody } from './schemas.js';
import type { CategoryRow, SubcategoryRow, TopicRequestInput, TopicRequestRow, TopicReviewRow, TopicRow } from './store.js';
import type { TaxonomyTopicsTable } from './tables.js';

const iso = (ms: number | null): string | null => (ms === null ? null : formatIso(ms));

export const categoryOut = (c: CategoryRow) => ({
  category_id: c.id,
  name: c.name,
  description: c.description,
  status: c.status,
  created_at: formatIso(c.created_at),
  updated_at: iso(c.updated_at),
});

export const subcategoryOut = (s: SubcategoryRow) => ({
  subcategory_id: s.id,
  category_id: s.category_id,
  category_name: s.category_name,
  name: s.name,
  description: s.description,
  status: s.status,
  created_at: formatIso(s.created_at),
  updated_at: iso(s.updated_at),
});

export const topicOut = (t: TopicRow) => ({
  topic_id: t.id,
  category_id: t.category_id,
  category_name: t.category_name,
  subcategory_id: t.subcategory_id,
  subcategory_name: t.subcategory_name,
  name: t.name,
  description: t.description,
  keywords: JSON.parse(t.keywords) as string[],
  topic_type: t.topic_type,
  status: t.status,
  custom: t.organization_id !== null,
  created_at: formatIso(t.created_at),
  updated_at: iso(t.updated_at),
});

/** A just-accepted custom topic, before it is read back with its category names. */
export const newTopicOut = (t: TaxonomyTopicsTable) => topicOut({ ...t, category_name: null, subcategory_name: null });

export const topicRequestOut = (r: TopicRequestRow) => ({
  topic_request_id: r.id,
  topic_id: r.topic_id,
  name: r.name,
  description: r.description,
  keywords: JSON.parse(r.keywords) as string[],
  category_id: r.category_id,
  subcategory_id: r.subcategory_id,
  topic_type: r.topic_type,
  status: r.status,
  review_note: r.review_note,
  created_at: formatIso(r.created_at),
  updated_at: iso(r.updated_at),
  reviewed_at: iso(r.reviewed_at),
});

export const reviewOut = (r: TopicReviewRow) => ({ review_id: r.id, status: r.status, note: r.note, created_at: formatIso(r.created_at) });

/** A proposed topic as the body of a create request (either surface) says it: a name is required. */
export function topicRequestInput(b: TopicRequestInputBody): TopicRequestInput {
  const name = b.name.trim();
  if (!name) throw fail('invalid_parameters', 'name must not be empty');
  return {
    name,
    description: (b.description ?? '').trim(),
    keywords: cleanKeywords(b.keywords),
    category_id: b.category_id ?? null,
    subcategory_id: b.subcategory_id ?? null,
    topic_type: b.topic_type,
  };
}

/** Keywords as stored: trimmed, lowercased, without duplicates or empties. */
export const cleanKeywords = (keywords: readonly string[] | undefined): string[] => [
  ...new Set((keywords ?? []).map((k) => k.trim().toLowerCase()).filter(Boolean)),
];
