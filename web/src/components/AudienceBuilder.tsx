// The audience filter builder: a group of rules joined by "all" (AND) or "any" (OR), where a rule is
// a set of topics people are surging on (with the least score), a profile or event field compared
// with a value from the field catalog (its operators and options), or a nested group. It edits the
// filter the API takes (src/audiences/filter.ts) directly, so what the person sees is what is sent.
import { useState } from 'react';
import { api } from '../lib/api';
import { useResource } from '../lib/hooks';
import type { AudienceFilterInput, CatalogFieldWire, DashboardTopicsBody, SurgingTopicsBody } from '../lib/types';

export type Group = { op: 'AND' | 'OR'; rules: Rule[] };
export type IntentRule = { type: 'INTENT'; topic_ids: string[]; min_score: number };
export type FieldRule = { field: string; operator: string; value?: string | number | string[] | null };
export type Rule = Group | IntentRule | FieldRule;

export const isGroup = (r: Rule): r is Group => 'op' in r;
export const isIntent = (r: Rule): r is IntentRule => 'type' in r;

/** The builder's filter as the API's body field (the API checks it again and names what is wrong). */
export const toFilter = (g: Group): AudienceFilterInput => g as unknown as AudienceFilterInput;
export const fromFilter = (f: AudienceFilterInput): Group => f as unknown as Group;

const OPERATOR_NAME: Record<string, string> = {
  eq: 'is',
  ne: 'is not',
  in: 'is any of',
  notin: 'is none of',
  like: 'matches (% any text)',
  not_null: 'is known',
  gt: 'is more than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
};

export interface BuilderContext {
  orgId: string;
  fields: readonly CatalogFieldWire[];
  windowDays: number;
  /** Topic id → name, for the topics chosen so far. */
  topicNames: Map<string, string>;
  rememberTopic: (id: string, name: string) => void;
}

export function GroupEditor({
  group,
  onChange,
  ctx,
  depth = 1,
  onRemove,
  allowIntent,
}: {
  group: Group;
  onChange: (g: Group) => void;
  ctx: BuilderContext;
  depth?: number;
  onRemove?: () => void;
  allowIntent: boolean;
}) {
  const setRule = (i: number, r: Rule) => onChange({ ...group, rules: group.rules.map((x, k) => (k === i ? r : x)) });
  const removeRule = (i: number) => onChange({ ...group, rules: group.rules.filter((_, k) => k !== i) });
  const add = (r: Rule) => onChange({ ...group, rules: [...group.rules, r] });
  const firstField = ctx.fields[0];
  const label = depth === 1 ? 'Audience rules' : `Rule group ${depth}`;
  return (
    <fieldset className="rule-group">
      <legend>{label}</legend>
      <div className="rule-group-head">
        <label>
          People who match{' '}
          <select
            aria-label={`How the rules of ${label.toLowerCase()} combine`}
            value={group.op}
            onChange={(e) => onChange({ ...group, op: e.target.value as Group['op'] })}
          >
            <option value="AND">all of these rules</option>
            <option value="OR">any of these rules</option>
          </select>
        </label>
        {onRemove ? (
          <button type="button" className="button-link" onClick={onRemove}>
            Remove group
          </button>
        ) : null}
      </div>
      <ol className="rules">
        {group.rules.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rules have no id; their place is their identity while editing
          <li key={i} className="rule">
            {isGroup(r) ? (
              <GroupEditor
                group={r}
                onChange={(g) => setRule(i, g)}
                ctx={ctx}
                depth={depth + 1}
                onRemove={() => removeRule(i)}
                allowIntent={allowIntent}
              />
            ) : isIntent(r) ? (
              <IntentRuleEditor rule={r} onChange={(x) => setRule(i, x)} onRemove={() => removeRule(i)} ctx={ctx} n={i + 1} />
            ) : (
              <FieldRuleEditor rule={r} onChange={(x) => setRule(i, x)} onRemove={() => removeRule(i)} ctx={ctx} n={i + 1} />
            )}
          </li>
        ))}
      </ol>
      <div className="rule-actions">
        {allowIntent ? (
          <button type="button" className="button-secondary" onClick={() => add({ type: 'INTENT', topic_ids: [], min_score: 60 })}>
            Add topic rule
          </button>
        ) : null}
        {firstField ? (
          <button
            type="button"
            className="button-secondary"
            onClick={() => add({ field: firstField.field_key, operator: firstField.operators[0] ?? 'eq', value: '' })}
          >
            Add field rule
          </button>
        ) : null}
        {depth < 5 ? (
          <button
            type="button"
            className="button-secondary"
            onClick={() =>
              add({
                op: 'OR',
                rules: [
                  allowIntent || !firstField
                    ? { type: 'INTENT', topic_ids: [], min_score: 60 }
                    : { field: firstField.field_key, operator: firstField.operators[0] ?? 'eq', value: '' },
                ],
              })
            }
          >
            Add group
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}

function IntentRuleEditor({
  rule,
  onChange,
  onRemove,
  ctx,
  n,
}: {
  rule: IntentRule;
  onChange: (r: IntentRule) => void;
  onRemove: () => void;
  ctx: BuilderContext;
  n: number;
}) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const base = `/orgs/${ctx.orgId}`;
  // With no search: the topics people surge on now, most first. With one: matching topics, with their surge counts.
  const found = useResource(async (): Promise<SurgingTopicsBody> => {
    if (!query) return api<SurgingTopicsBody>('GET', `${base}/intent/surging-topics?window_days=${ctx.windowDays}&limit=10`);
    const topics = await api<DashboardTopicsBody>('GET', `${base}/topics?search=${encodeURIComponent(query)}&limit=10`);
    if (topics.topics.length === 0) return { window_days: ctx.windowDays, topics: [] };
    const ids = topics.topics.map((t) => t.topic_id).join(',');
    return api<SurgingTopicsBody>(
      'GET',
      `${base}/intent/surging-topics?window_days=${ctx.windowDays}&limit=10&topic_ids=${encodeURIComponent(ids)}`,
    );
  }, [base, query, ctx.windowDays]);
  const toggle = (id: string, name: string) => {
    ctx.rememberTopic(id, name);
    onChange({ ...rule, topic_ids: rule.topic_ids.includes(id) ? rule.topic_ids.filter((t) => t !== id) : [...rule.topic_ids, id] });
  };
  return (
    <fieldset className="rule-body" aria-label={`Rule ${n}: topics`}>
      <p className="rule-title">
        Surging on any of these topics
        <button type="button" className="button-link" onClick={onRemove} aria-label={`Remove rule ${n}`}>
          Remove
        </button>
      </p>
      {rule.topic_ids.length ? (
        <ul className="chips" aria-label={`Chosen topics of rule ${n}`}>
          {rule.topic_ids.map((id) => (
            <li key={id} className="chip">
              {ctx.topicNames.get(id) ?? id}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove topic ${ctx.topicNames.get(id) ?? id}`}
                onClick={() => toggle(id, ctx.topicNames.get(id) ?? id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint">Choose at least one topic.</p>
      )}
      <div className="inline-form">
        <label>
          Find topics{' '}
          <input
            type="search"
            value={search}
            placeholder="For example cloud security"
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                setQuery(search.trim());
              }
            }}
          />
        </label>
        <button type="button" className="button-secondary" onClick={() => setQuery(search.trim())}>
          Search topics
        </button>
      </div>
      {found.error ? <p className="message message-error">{found.error}</p> : null}
      {found.data ? (
        found.data.topics.length === 0 ? (
          <p className="hint">
            {query ? 'No topics match.' : 'Nobody is reading about a topic yet in this window. Search for one instead.'}
          </p>
        ) : (
          <ul className="topic-options" aria-label={query ? `Topics matching ${query}` : 'Topics people are surging on'}>
            {found.data.topics.map((t) => (
              <li key={t.topic_id}>
                <label>
                  <input type="checkbox" checked={rule.topic_ids.includes(t.topic_id)} onChange={() => toggle(t.topic_id, t.name)} />{' '}
                  {t.name} <span className="muted">({t.surging_people.toLocaleString()} surging)</span>
                </label>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <label>
        Least intent score{' '}
        <input
          type="number"
          min={0}
          max={100}
          step={1}
          value={rule.min_score}
          onChange={(e) => onChange({ ...rule, min_score: Number(e.target.value) })}
        />
      </label>
      <p className="hint">50 is a person's normal level of reading on the topic; 60 and above is surging.</p>
    </fieldset>
  );
}

function FieldRuleEditor({
  rule,
  onChange,
  onRemove,
  ctx,
  n,
}: {
  rule: FieldRule;
  onChange: (r: FieldRule) => void;
  onRemove: () => void;
  ctx: BuilderContext;
  n: number;
}) {
  const field = ctx.fields.find((f) => f.field_key === rule.field) ?? ctx.fields[0];
  if (!field) return null;
  const multi = rule.operator === 'in' || rule.operator === 'notin';
  const options = field.options ?? [];
  const chosen = Array.isArray(rule.value) ? rule.value : [];
  const setField = (key: string) => {
    const f = ctx.fields.find((x) => x.field_key === key);
    if (!f) return;
    const operator = f.operators.includes(rule.operator) ? rule.operator : (f.operators[0] ?? 'eq');
    onChange({ field: key, operator, value: operator === 'in' || operator === 'notin' ? [] : '' });
  };
  const setOperator = (operator: string) => {
    const nowMulti = operator === 'in' || operator === 'notin';
    onChange({ ...rule, operator, value: operator === 'not_null' ? undefined : nowMulti === multi ? rule.value : nowMulti ? [] : '' });
  };
  let value = null;
  if (rule.operator === 'not_null') value = null;
  else if (multi && options.length) {
    value = (
      <fieldset className="options">
        <legend>Values</legend>
        {options.map((o) => (
          <label key={o.value}>
            <input
              type="checkbox"
              checked={chosen.includes(o.value)}
              onChange={() =>
                onChange({ ...rule, value: chosen.includes(o.value) ? chosen.filter((v) => v !== o.value) : [...chosen, o.value] })
              }
            />{' '}
            {o.label}
          </label>
        ))}
      </fieldset>
    );
  } else if (multi) {
    value = (
      <label>
        Values (comma-separated){' '}
        <input
          value={chosen.join(', ')}
          onChange={(e) =>
            onChange({
              ...rule,
              value: e.target.value
                .split(',')
                .map((v) => v.trim())
                .filter(Boolean),
            })
          }
        />
      </label>
    );
  } else if (options.length) {
    value = (
      <label>
        Value{' '}
        <select value={String(rule.value ?? '')} onChange={(e) => onChange({ ...rule, value: e.target.value })}>
          <option value="">Choose…</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
    );
  } else {
    const numeric = field.data_type === 'integer';
    value = (
      <label>
        Value{' '}
        <input
          type={numeric ? 'number' : 'text'}
          value={rule.value === null || rule.value === undefined ? '' : String(rule.value)}
          onChange={(e) => onChange({ ...rule, value: numeric ? (e.target.value === '' ? null : Number(e.target.value)) : e.target.value })}
        />
      </label>
    );
  }
  return (
    <fieldset className="rule-body" aria-label={`Rule ${n}: ${field.display_name}`}>
      <p className="rule-title">
        Field rule
        <button type="button" className="button-link" onClick={onRemove} aria-label={`Remove rule ${n}`}>
          Remove
        </button>
      </p>
      <div className="inline-form">
        <label>
          Field{' '}
          <select value={field.field_key} onChange={(e) => setField(e.target.value)}>
            {ctx.fields.map((f) => (
              <option key={f.field_key} value={f.field_key}>
                {f.display_name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Condition{' '}
          <select value={rule.operator} onChange={(e) => setOperator(e.target.value)}>
            {field.operators.map((op) => (
              <option key={op} value={op}>
                {OPERATOR_NAME[op] ?? op}
              </option>
            ))}
          </select>
        </label>
        {value}
      </div>
    </fieldset>
  );
}
