// Builds the Events API `filter` string from the Events page's controls. Grammar (see
// src/analytics/filter.ts): `field:op:value`, `,` is AND, `|` is OR, AND binds tighter. Values that
// could be misread (separators, quotes, backslashes, a leading quote, the word null) are quoted.

export type ResolvedFilter = 'any' | 'yes' | 'no';

export interface EventFilters {
  eventType?: string;
  resolved?: ResolvedFilter;
  /** Text to find in the page URL or title (case as typed). */
  search?: string;
}

/** A LIKE pattern that finds `text` anywhere: its own %, _ and \ escaped. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A value as the grammar reads it back unchanged. */
export function quoteValue(value: string): string {
  if (value === 'null' || /[,|"\\]/.test(value)) return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return value;
}

/**
 * The filter string, or '' when nothing is filtered. "Not resolved" includes events whose
 * resolution is unknown (NULL): `resolved:eq:false` alone would drop them, so it becomes an OR of
 * the two, with the other conditions repeated in each branch; a search looks in the URL or the
 * title, the same way.
 */
export function buildFilter(f: EventFilters): string {
  const common: string[] = [];
  const type = f.eventType?.trim();
  if (type) common.push(`event_type:eq:${quoteValue(type)}`);
  if (f.resolved === 'yes') common.push('resolved:eq:true');
  // Each alternative (URL or title; unresolved or unknown) becomes an AND-group of its own.
  const search = f.search?.trim();
  const found = search ? ['url', 'title'].map((field) => `${field}:like:${quoteValue(containsPattern(search))}`) : [''];
  const resolved = f.resolved === 'no' ? ['resolved:eq:false', 'resolved:eq:null'] : [''];
  const groups = found.flatMap((s) => resolved.map((r) => [...common, s, r].filter(Boolean).join(',')));
  return groups.filter(Boolean).join('|');
}
