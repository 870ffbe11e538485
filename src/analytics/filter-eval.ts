// Evaluates a parsed `filter` against one record in memory, with the same semantics the engines
// give it in SQL (a NULL cell matches nothing but eq:null, ne:null's absence and not_null; `like`
// with % and _ and backslash escapes). Lookup filters its single record with it.
import { operandOf } from './filter.js';
import type { Condition, Filter } from './types.js';

type Cell = string | number | boolean | null | undefined;

const likeCache = new Map<string, RegExp>();

function likeRegex(pattern: string): RegExp {
  let re = likeCache.get(pattern);
  if (!re) {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i] as string;
      if (ch === '\\' && i + 1 < pattern.length) src += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      else if (ch === '%') src += '[\\s\\S]*';
      else if (ch === '_') src += '[\\s\\S]';
      else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`);
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(pattern, re);
  }
  return re;
}

function holds(c: Condition, cell: Cell): boolean {
  const o = operandOf(c);
  const v = cell === undefined ? null : cell;
  if (o.kind === 'is_null') return v === null;
  if (o.kind === 'is_not_null') return v !== null;
  if (v === null) return false;
  if (c.op === 'like') return likeRegex(String(o.value)).test(String(v));
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
