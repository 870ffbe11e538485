// Builds the Events API `filter` string from the Events page's controls. Grammar (see
// src/analytics/filter.ts): `field:op:value`, `,` is AND, `|` is OR, AND binds tighter. Values that
// could be misread (separators, quotes, backslashes, a leading quote, the word null) are quoted.

export type ResolvedFilter = 'any' | 'yes' | 'no';

export interface EventFilters {
  eventType?: string;
  resolved?: ResolvedFilter;
}

/** A value as the grammar reads it back unchanged. */
export function quoteValue(value: string): string {
  if (value === 'null' || /[,|"\\]/.test(value)) return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return value;
}

/**
 * The filter string, or '' when nothing is filtered. "Not resolved" includes events whose
 * resolution is unknown (NULL): `resolved:eq:false` alone would drop them, so it becomes an OR of
 * the two, with the other conditions repeated in each branch.
 */
export function buildFilter(f: EventFilters): string {
  const common: string[] = [];
  const type = f.eventType?.trim();
  if (type) common.push(`event_type:eq:${quoteValue(type)}`);
  if (f.resolved === 'yes') common.push('resolved:eq:true');
  if (f.resolved === 'no') {
    return ['resolved:eq:false', 'resolved:eq:null'].map((r) => [...common, r].join(',')).join('|');
  }
  return common.join(',');
}
