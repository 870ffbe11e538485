// Evaluates a parsed `filter` against one record in memory, with the same semantics the engines
// give it in SQL (a NULL cell matches nothing but eq:null, ne:null's absence and not_null; `like`
// with % and _ and backslash escapes, matched in linear-bounded time). Lookup filters its single
// record with it.
import { likeMatch, operandOf } from './filter.js';
import type { Condition, Filter } from './types.js';

type Cell = string | number | boolean | null | undefined;

function holds(c: Condition, cell: Cell): boolean {
  const o = operandOf(c);
  const v = cell === undefined ? null : cell;
  if (o.kind === 'is_null') return v === null;
  if (o.kind === 'is_not_null') return v !== null;
  if (v === null) return false;
  if (c.op === 'like') return likeMatch(String(o.value), String(v));
  const a: string | number | boolean = o.kind === 'int' ? Number(v) : o.kind === 'bool' ? v === true || v === 'true' : String(v);
  const b = o.value;
  switch (c.op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    default:
      return false;
  }
}

/** Whether `record` matches: any AND-group whose conditions all hold (the empty filter matches). */
export function matchesFilter(record: Record<string, Cell>, filter: Filter): boolean {
  if (filter.length === 0) return true;
  return filter.some((group) => group.every((c) => holds(c, record[c.field])));
}
