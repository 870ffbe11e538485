// What both analytics engines share about storing identity: the profile columns (from the field
// definitions), and the merge rules applied before a write, so DuckDB and ClickHouse store the same
// rows for the same input: within one batch a later non-empty value wins and an empty one never
// erases; a visitor's links collapse to the latest person with the seen range widened.
import type { FieldDef } from '../analytics/types.js';
import { HEM_FIELDS, IDENTITY_FIELDS, type Profile } from './fields.js';
import type { NewLink, ProfilePatch, VisitorLink } from './types.js';

export type { HemKind, NewLink, ProfilePatch, VisitorLink } from './types.js';

/** Stored profile columns after organization_id, in table order. */
export const PROFILE_COLUMNS: readonly FieldDef[] = [
  { name: 'hem_sha256', data_type: 'Utf8', nullable: false },
  { name: 'hem_md5', data_type: 'Utf8', nullable: false },
  { name: 'hem_sha1', data_type: 'Utf8', nullable: true },
  ...IDENTITY_FIELDS.map((f) => ({ name: f.key, data_type: f.data_type, nullable: true })),
  { name: 'updated_at', data_type: 'Int64', nullable: false },
];

const MERGED = [...HEM_FIELDS.map((f) => f.key), ...IDENTITY_FIELDS.map((f) => f.key)];

const isEmpty = (v: unknown): boolean => v === null || v === undefined || v === '';

/**
 * One patch per person: later non-empty values win; empty strings count as absent (readers of the
 * result treat '' and a missing key as absent). Patches are copied only when a person repeats, so a
 * batch of distinct people costs one map entry each.
 */
export function mergePatches(patches: readonly ProfilePatch[]): ProfilePatch[] {
  const byHem = new Map<string, ProfilePatch>();
  for (const patch of patches) {
    const prev = byHem.get(patch.hem_sha256);
    if (!prev) {
      byHem.set(patch.hem_sha256, patch);
      continue;
    }
    const next: ProfilePatch = { ...prev };
    for (const key of MERGED) {
      const v = patch[key];
      if (!isEmpty(v)) next[key] = v as string | number;
    }
    byHem.set(patch.hem_sha256, next);
  }
  return [...byHem.values()];
}

/** A stored profile on top of a patch: what the merged row is. */
export function applyPatch(stored: Profile | undefined, patch: ProfilePatch): ProfilePatch {
  const out: ProfilePatch = { ...(stored ?? {}), hem_sha256: patch.hem_sha256, hem_md5: patch.hem_md5, hem_sha1: stored?.hem_sha1 ?? null };
  for (const key of MERGED) {
    const v = patch[key];
    if (!isEmpty(v)) out[key] = v as string | number;
    else if (!(key in out)) out[key] = null;
  }
  return out;
}

/** One link per visitor: the latest person seen for it, with first/last seen over that person's signals. */
export function mergeLinks(links: readonly NewLink[]): VisitorLink[] {
  const byVisitor = new Map<string, VisitorLink>();
  for (const l of links) {
    const prev = byVisitor.get(l.visitor_id);
    if (!prev || (prev.hem_sha256 !== l.hem_sha256 && l.at >= prev.last_seen)) {
      byVisitor.set(l.visitor_id, {
        visitor_id: l.visitor_id,
        hem_sha256: l.hem_sha256,
        source: l.source,
        first_seen: l.at,
        last_seen: l.at,
      });
    } else if (prev.hem_sha256 === l.hem_sha256) {
      prev.first_seen = Math.min(prev.first_seen, l.at);
      prev.last_seen = Math.max(prev.last_seen, l.at);
    }
  }
  return [...byVisitor.values()];
}

/** A stored row (column name → value) as a Profile; numbers as numbers, absent as null. */
export function profileRow(cells: readonly [string, string | number | boolean | null][]): Profile {
  const out: Record<string, string | number | null> = {};
  for (const [name, v] of cells) {
    if (name === 'updated_at') continue;
    out[name] = typeof v === 'boolean' ? String(v) : v;
  }
  return out as Profile;
}
