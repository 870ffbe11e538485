// Topics: browse and search the topics the organization's pages are sorted into (the IAB-derived
// catalog and its own accepted topics), filtered by category and B2B/B2C, and the organization's
// custom topic requests with their status; owners and admins propose new ones here.
import { useState } from 'react';
import { FormDialog } from '../components/ConfirmDialog';
import { Badge, DataTable, EmptyState, ErrorMessage, Field, ListStates, Notice, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useResource } from '../lib/hooks';
import { canRequestTopics } from '../lib/permissions';
import type {
  DashboardCategoriesBody,
  DashboardTopicRequestBody,
  DashboardTopicRequestsBody,
  DashboardTopicsBody,
  OrganizationRef,
  TopicRequest,
  TopicRequestInputBody,
} from '../lib/types';

const PAGE_SIZE = 25;

interface Search {
  text: string;
  category: string;
  type: '' | 'B2B' | 'B2C';
  offset: number;
}

const STATUS: Record<TopicRequest['status'], { tone: 'good' | 'bad' | 'wait'; label: string }> = {
  waiting_for_approval: { tone: 'wait', label: 'Waiting for approval' },
  accepted: { tone: 'good', label: 'Accepted' },
  rejected: { tone: 'bad', label: 'Rejected' },
};

export function TopicsPage({ org }: { org: OrganizationRef }) {
  const base = `/orgs/${org.organization_id}`;
  const [form, setForm] = useState<Search>({ text: '', category: '', type: '', offset: 0 });
  const [applied, setApplied] = useState<Search>(form);
  const [dialog, setDialog] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const editable = canRequestTopics(org.role);

  const categories = useResource(() => api<DashboardCategoriesBody>('GET', `${base}/topic-categories`), [base]);
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(applied.offset) });
  if (applied.text.trim()) query.set('search', applied.text.trim());
  if (applied.category) query.set('category_id', applied.category);
  if (applied.type) query.set('topic_type', applied.type);
  const topics = useResource(() => api<DashboardTopicsBody>('GET', `${base}/topics?${query}`), [base, query.toString()]);
  const requests = useResource(() => api<DashboardTopicRequestsBody>('GET', `${base}/topic-requests?limit=100`), [base]);
  const rows = topics.data?.topics ?? [];
  const total = topics.data?.total ?? 0;

  const requestButton = editable ? (
    <button
      type="button"
      className="button-primary"
      onClick={() => {
        setDone(null);
        setDialog(true);
      }}
    >
      Request a topic
    </button>
  ) : null;

  return (
    <>
      <PageHeader
        title="Topics"
        description="What your pages are about. Every page view is sorted into these topics, and each person and company gets an intent score per topic."
        actions={requestButton}
      />
      {done ? <Notice>{done}</Notice> : null}
      <search aria-label="Topic search">
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            const next = { ...form, offset: 0 };
            setForm(next);
            setApplied(next);
          }}
        >
          <Field label="Search topics" hint="Words of a topic's name or keywords, e.g. cloud security.">
            {(p) => (
              <input {...p} type="search" maxLength={200} value={form.text} onChange={(e) => setForm({ ...form, text: e.target.value })} />
            )}
          </Field>
          <Field label="Category">
            {(p) => (
              <select {...p} value={form.category} onChange={(e) => setForm({ ...form, category: e.target.value })}>
                <option value="">All categories</option>
                {(categories.data?.categories ?? []).map((c) => (
                  <option key={c.category_id} value={c.category_id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Type">
            {(p) => (
              <select {...p} value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value as Search['type'] })}>
                <option value="">B2B and B2C</option>
                <option value="B2B">B2B</option>
                <option value="B2C">B2C</option>
              </select>
            )}
          </Field>
          <div className="filter-buttons">
            <button type="submit" className="button-primary">
              Search
            </button>
          </div>
        </form>
      </search>
      <ErrorMessage>{categories.error}</ErrorMessage>
      <ListStates
        resource={topics}
        items={rows}
        empty={
          <EmptyState title="No topics match">
            Try fewer or other words, or another category. {editable ? 'Missing a topic your business needs? Request it.' : ''}
          </EmptyState>
        }
      >
        <div className="table-scroll">
          <DataTable caption="Topics" columns={['Topic', 'Category', 'Type', 'Keywords']}>
            {rows.map((t) => (
              <tr key={t.topic_id}>
                <th scope="row">
                  {t.name} {t.custom ? <Badge tone="neutral">Yours</Badge> : null}
                  <div className="muted">
                    <code>{t.topic_id}</code>
                  </div>
                </th>
                <td>{[t.category_name, t.subcategory_name].filter(Boolean).join(' › ') || '—'}</td>
                <td>{t.topic_type}</td>
                <td className="wrap">{t.keywords.slice(0, 6).join(', ')}</td>
                <td />
              </tr>
            ))}
          </DataTable>
        </div>
        <p className="table-foot">
          Showing {(applied.offset + 1).toLocaleString()}–{(applied.offset + rows.length).toLocaleString()} of {total.toLocaleString()}{' '}
          topics.{' '}
          <button
            type="button"
            className="button-secondary"
            disabled={applied.offset === 0}
            onClick={() => setApplied({ ...applied, offset: Math.max(0, applied.offset - PAGE_SIZE) })}
          >
            Previous
          </button>{' '}
          <button
            type="button"
            className="button-secondary"
            disabled={applied.offset + rows.length >= total}
            onClick={() => setApplied({ ...applied, offset: applied.offset + PAGE_SIZE })}
          >
            Next
          </button>
        </p>
      </ListStates>

      <h2>Your topic requests</h2>
      <ListStates
        resource={requests}
        items={requests.data?.topic_requests ?? []}
        empty={
          <p className="muted">
            {editable
              ? 'No requests yet. Request a topic when the catalog lacks one your business needs; your Delivr contact reviews it.'
              : 'No requests yet. Owners and admins can request topics the catalog lacks.'}
          </p>
        }
      >
        <DataTable caption="Topic requests" showCaption={false} columns={['Topic', 'Status', 'Type', 'Requested']}>
          {(requests.data?.topic_requests ?? []).map((r) => (
            <tr key={r.topic_request_id}>
              <th scope="row">
                {r.name}
                <div className="muted">
                  <code>{r.topic_id}</code>
                </div>
              </th>
              <td>
                <Badge tone={STATUS[r.status].tone}>{STATUS[r.status].label}</Badge>
                {r.review_note ? <div className="muted">{r.review_note}</div> : null}
              </td>
              <td>{r.topic_type}</td>
              <td>{formatDate(r.created_at)}</td>
              <td />
            </tr>
          ))}
        </DataTable>
      </ListStates>

      <p className="muted attribution">
        The catalog is derived from the IAB Tech Lab Content Taxonomy 3.1 and Audience Taxonomy 1.1, © IAB Tech Lab, licensed under{' '}
        <a href="https://creativecommons.org/licenses/by/3.0/">CC BY 3.0</a>.
      </p>

      {dialog ? (
        <RequestDialog
          base={base}
          categories={categories.data?.categories ?? []}
          onClose={() => setDialog(false)}
          onCreated={async (r) => {
            setDialog(false);
            await requests.reload();
            setDone(`Topic ${r.name} requested. It waits for approval; its status is listed below.`);
          }}
        />
      ) : null}
    </>
  );
}

function RequestDialog({
  base,
  categories,
  onClose,
  onCreated,
}: {
  base: string;
  categories: DashboardCategoriesBody['categories'];
  onClose: () => void;
  onCreated: (r: TopicRequest) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [keywords, setKeywords] = useState('');
  const [type, setType] = useState<'B2B' | 'B2C'>('B2B');
  const [category, setCategory] = useState('');
  return (
    <FormDialog
      title="Request a topic"
      submitLabel="Send request"
      onClose={onClose}
      onSubmit={async () => {
        const body: TopicRequestInputBody = {
          name: name.trim(),
          description: description.trim(),
          keywords: keywords
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean),
          topic_type: type,
          ...(category ? { category_id: category } : {}),
        };
        const { topic_request } = await api<DashboardTopicRequestBody>('POST', `${base}/topic-requests`, body);
        await onCreated(topic_request);
      }}
    >
      <Field label="Topic name" hint="As people would name the subject, e.g. Warehouse Robotics.">
        {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Keywords" hint="Words and phrases pages about it use, separated by commas. Pages are matched by them.">
        {(p) => <input {...p} maxLength={2000} value={keywords} onChange={(e) => setKeywords(e.target.value)} />}
      </Field>
      <Field label="Description">
        {(p) => <textarea {...p} maxLength={2000} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label="Type">
        {(p) => (
          <select {...p} value={type} onChange={(e) => setType(e.target.value as 'B2B' | 'B2C')}>
            <option value="B2B">B2B: running, equipping or selling to organizations</option>
            <option value="B2C">B2C: people's own interests and purchases</option>
          </select>
        )}
      </Field>
      <Field label="Category (optional)">
        {(p) => (
          <select {...p} value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">None</option>
            {categories.map((c) => (
              <option key={c.category_id} value={c.category_id}>
                {c.name}
              </option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
