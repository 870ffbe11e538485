// Audience filters: a group `{"op": "AND" | "OR", "rules": [...]}` whose rules are nested groups,
// intent rules `{"type": "INTENT", "topic_ids": [...], "min_score": 0..100}` and field rules
// `{"field": <field_key>, "operator": <one of the field's operators>, "value": ...}` (spec section
// 16). Checked here against the field catalog (the same definitions the Events API and the stores
// use) and the organization's topics, with a 400 that names what is wrong; then turned into what the
// evaluator runs: the Events API's `Filter` for one field rule (so both analytics engines already
// agree on its meaning) and a tree walk for groups.
import type { Condition, FieldName, Filter } from '../analytics/types.js';
import { type CatalogField, fieldCatalog } from '../field-catalog/service.js';
import { fail } from '../platform/errors.js';
import type { AudienceType } from './store.js';

export interface FilterGroup {
  op: 'AND' | 'OR';
  rules: FilterRule[];
}
export interface IntentRule {
  type: 'INTENT';
  topic_ids: string[];
  min_score: number;
}
export type RuleValue = string | number | boolean | null | string[];
export interface FieldRule {
  field: string;
  operator: string;
  value?: RuleValue;
}
export type FilterRule = FilterGroup | IntentRule | FieldRule;

export const FILTER_LIMITS = { maxDepth: 5, maxRules: 100, maxTopicsPerRule: 100, maxValueLength: 2000 } as const;

export const isGroup = (r: FilterRule): r is FilterGroup => 'op' in r;
export const isIntent = (r: FilterRule): r is IntentRule => 'type' in r && r.type === 'INTENT';

/** The catalog's fields a rule of this audience type may name: profile fields, or event fields. */
function fieldsFor(type: AudienceType): Map<string, CatalogField> {
  const schemaType = type === 'intents' ? 'audience' : 'event';
  return new Map(
    fieldCatalog()
      .filter((f) => f.schema_types.includes(schemaType) && f.status === 'active')
      .map((f) => [f.field_key, f]),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (path: string, message: string) => fail('invalid_parameters', `${path}: ${message}`);

/**
 * Checks a filter from a request and returns it normalised (min_score defaulted, unknown keys
 * dropped). `knownTopics` answers which of the given topic ids the organization has.
 */
export async function validateFilter(
  input: unknown,
  type: AudienceType,
  knownTopics: (ids: readonly string[]) => Promise<ReadonlySet<string>>,
): Promise<FilterGroup> {
  const fields = fieldsFor(type);
  const topics = new Set<string>();
  let count = 0;
  let intentRules = 0;

  const group = (v: unknown, path: string, depth: number): FilterGroup => {
    if (!isObject(v)) throw bad(path, 'a group must be an object {"op": "AND" | "OR", "rules": [...]}');
    if (depth > FILTER_LIMITS.maxDepth) throw bad(path, `groups nest at most ${FILTER_LIMITS.maxDepth} deep`);
    if (v.op !== 'AND' && v.op !== 'OR') throw bad(`${path}.op`, 'must be "AND" or "OR"');
    if (!Array.isArray(v.rules) || v.rules.length === 0) throw bad(`${path}.rules`, 'must be a non-empty array');
    return { op: v.op, rules: v.rules.map((r, i) => rule(r, `${path}.rules[${i}]`, depth)) };
  };

  const rule = (v: unknown, path: string, depth: number): FilterRule => {
    count += 1;
    if (count > FILTER_LIMITS.maxRules) throw bad(path, `a filter holds at most ${FILTER_LIMITS.maxRules} rules`);
    if (!isObject(v)) throw bad(path, 'a rule must be an object');
    if ('op' in v) return group(v, path, depth + 1);
    if ('type' in v) return intent(v, path);
    return field(v, path);
  };

  const intent = (v: Record<string, unknown>, path: string): IntentRule => {
    if (v.type !== 'INTENT') throw bad(`${path}.type`, 'the only rule type is "INTENT"');
    if (type !== 'intents') throw bad(path, 'INTENT rules belong to intents audiences');
    const ids = v.topic_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > FILTER_LIMITS.maxTopicsPerRule) {
      throw bad(`${path}.topic_ids`, `must be an array of 1 to ${FILTER_LIMITS.maxTopicsPerRule} topic ids`);
    }
    for (const id of ids)
      if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw bad(`${path}.topic_ids`, 'must be topic id strings');
    const min = v.min_score ?? 0;
    if (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > 100)
      throw bad(`${path}.min_score`, 'must be an integer from 0 to 100');
    intentRules += 1;
    for (const id of ids as string[]) topics.add(id);
    return { type: 'INTENT', topic_ids: [...new Set(ids as string[])], min_score: min };
  };

  const field = (v: Record<string, unknown>, path: string): FieldRule => {
    if (typeof v.field !== 'string')
      throw bad(path, 'a rule needs "field" (a field_key), "operator" and "value", or "type": "INTENT", or "op" for a group');
    const f = fields.get(v.field);
    if (!f) throw bad(`${path}.field`, `unknown field "${v.field.slice(0, 100)}" for ${type} audiences (see GET /api/v1/field-catalog)`);
    if (typeof v.operator !== 'string' || !f.operators.includes(v.operator)) {
      throw bad(
        `${path}.operator`,
        `unknown operator "${String(v.operator).slice(0, 50)}" for field "${f.field_key}" (one of ${f.operators.join(', ')})`,
      );
    }
    const op = v.operator;
    if (op === 'not_null') return { field: f.field_key, operator: op };
    return { field: f.field_key, operator: op, value: ruleValue(f, op, v.value, `${path}.value`) };
  };

  const root = group(input, 'filter', 1);
  if (type === 'intents' && intentRules === 0) throw bad('filter', 'an intents audience needs at least one INTENT rule');
  if (topics.size > 0) {
    const known = await knownTopics([...topics]);
    const unknown = [...topics].find((t) => !known.has(t));
    if (unknown !== undefined) throw bad('filter', `unknown topic id "${unknown.slice(0, 100)}"`);
  }
  return root;
}

function ruleValue(f: CatalogField, op: string, value: unknown, path: string): RuleValue {
  const options = f.options ? new Set(f.options.map((o) => o.value)) : null;
  const checkOption = (s: string): string => {
    if (options && !options.has(s)) throw bad(path, `"${s.slice(0, 100)}" is not an option of field "${f.field_key}"`);
    return s;
  };
  if (op === 'in' || op === 'notin') {
    if (!Array.isArray(value) || value.length === 0 || value.length > 1000) throw bad(path, `${op} takes an array of 1 to 1000 values`);
    return [
      ...new Set(value.map((x) => (typeof x === 'string' && x.length <= FILTER_LIMITS.maxValueLength ? checkOption(x) : badValue(path)))),
    ];
  }
  if (value === null && (op === 'eq' || op === 'ne')) return null;
  if (f.data_type === 'integer') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad(path, `field "${f.field_key}" takes a whole number`);
    return value;
  }
  if (f.data_type === 'boolean') {
    if (typeof value !== 'boolean') throw bad(path, `field "${f.field_key}" takes true or false`);
    return value;
  }
  if (typeof value !== 'string' || value.length > FILTER_LIMITS.maxValueLength) {
    throw bad(path, `field "${f.field_key}" takes a string of at most ${FILTER_LIMITS.maxValueLength} characters`);
  }
  if (value.includes('\u0000')) throw bad(path, 'must not contain NUL characters');
  return op === 'like' ? value : checkOption(value);
}

const badValue = (path: string): never => {
  throw bad(path, 'values must be strings');
};

/** One field rule as the Events API's filter (OR of AND-groups): `in` is an OR of eq, `notin` an AND of ne. */
export function ruleFilter(r: FieldRule): Filter {
  const field = r.field as FieldName;
  const text = (v: string | number | boolean): string => String(v);
  const cond = (op: Condition['op'], value: string | null): Condition => ({ field, op, value });
  const v = r.value;
  if (r.operator === 'not_null') return [[cond('not_null', null)]];
  if (r.operator === 'in') return (v as string[]).map((x) => [cond('eq', x)]);
  if (r.operator === 'notin') return [(v as string[]).map((x) => cond('ne', x))];
  return [[cond(r.operator as Condition['op'], v === null || v === undefined ? null : text(v as string | number | boolean))]];
}

/** Every topic id the filter's intent rules name. */
export function filterTopics(g: FilterGroup): string[] {
  const out = new Set<string>();
  const walk = (r: FilterRule): void => {
    if (isGroup(r)) r.rules.forEach(walk);
    else if (isIntent(r)) for (const t of r.topic_ids) out.add(t);
  };
  walk(g);
  return [...out];
}

/** Every field rule of the filter, in order. */
export function fieldRules(g: FilterGroup): FieldRule[] {
  const out: FieldRule[] = [];
  const walk = (r: FilterRule): void => {
    if (isGroup(r)) r.rules.forEach(walk);
    else if (!isIntent(r)) out.push(r);
  };
  walk(g);
  return out;
}

/** Whether the group holds, given each leaf rule's answer (every leaf is asked: callers may collect from them). */
export function holds(g: FilterGroup, leaf: (r: IntentRule | FieldRule) => boolean): boolean {
  const answers = g.rules.map((r) => (isGroup(r) ? holds(r, leaf) : leaf(r)));
  return g.op === 'AND' ? answers.every(Boolean) : answers.some(Boolean);
}

/** The set a group selects, given each leaf rule's set: AND intersects, OR unites. */
export function selectSet<T>(g: FilterGroup, leaf: (r: IntentRule | FieldRule) => ReadonlySet<T>): Set<T> {
  const sets = g.rules.map((r) => (isGroup(r) ? selectSet(r, leaf) : leaf(r)));
  if (g.op === 'OR') return new Set(sets.flatMap((s) => [...s]));
  const [first, ...rest] = [...sets].sort((a, b) => a.size - b.size);
  return new Set([...(first ?? [])].filter((x) => rest.every((s) => s.has(x))));
}

/** Every intent rule of the filter, in order (an engine names rule i's answer by its index). */
export function intentRules(g: FilterGroup): IntentRule[] {
  const out: IntentRule[] = [];
  const walk = (r: FilterRule): void => {
    if (isGroup(r)) r.rules.forEach(walk);
    else if (isIntent(r)) out.push(r);
  };
  walk(g);
  return out;
}

/**
 * When a topic counts as matched (docs/audiences.md: the topics that met an intent rule, whichever
 * part of the filter named them): its score reaches the lowest min_score among the rules naming
 * it. Topics grouped by that score.
 */
export function matchThresholds(g: FilterGroup): { minScore: number; topicIds: string[] }[] {
  const lowest = new Map<string, number>();
  for (const r of intentRules(g)) for (const t of r.topic_ids) lowest.set(t, Math.min(lowest.get(t) ?? r.min_score, r.min_score));
  const byScore = new Map<number, string[]>();
  for (const [t, s] of lowest) byScore.set(s, [...(byScore.get(s) ?? []), t]);
  return [...byScore].sort((a, b) => a[0] - b[0]).map(([minScore, topicIds]) => ({ minScore, topicIds }));
}

/**
 * The filter as one SQL condition: groups become parenthesised AND / OR, each leaf the SQL `leaf`
 * gives for it (an engine's column for an intent rule's answer, its condition on profile columns
 * for a field rule). Holds exactly when holds() does with the same leaf answers.
 */
export function filterSql(g: FilterGroup, leaf: (r: IntentRule | FieldRule) => string): string {
  const parts = g.rules.map((r) => (isGroup(r) ? filterSql(r, leaf) : leaf(r)));
  return `(${parts.join(g.op === 'AND' ? ' AND ' : ' OR ')})`;
}
