// Audiences: the saved questions ("people surging on cloud security this week, director or above")
// the platform answers in the background and hands over as a list. The list per project with each
// audience's status and size (it follows a run until it ends), the builder with a live size
// preview, and an audience's page with its sample, schedule, pause/resume/refresh and download.
import { useEffect, useMemo, useState } from 'react';
import { type BuilderContext, fromFilter, type Group, GroupEditor, isGroup, isIntent, toFilter } from '../components/AudienceBuilder';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Badge, DataTable, EmptyState, ErrorMessage, Field, ListStates, Loading, Notice, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useAction, useResource } from '../lib/hooks';
import { canWriteProjects } from '../lib/permissions';
import { Link, navigate, useLocation } from '../lib/router';
import type {
  AudienceBodyOut,
  AudienceContact,
  AudienceCreateInput,
  AudienceListBody,
  AudiencePreviewBody,
  AudienceSampleBody,
  AudienceView,
  FieldCatalogBody,
  OrganizationRef,
  ProjectListBody,
  SurgingTopicsBody,
} from '../lib/types';

const RUNNING: ReadonlySet<AudienceView['status']> = new Set(['Pending', 'Processing', 'Syncing']);
const SCHEDULE_NAME: Record<AudienceView['refresh_schedule'], string> = {
  daily: 'Daily at 09:00 UTC',
  weekly: 'Saturdays at 18:00 UTC',
  manual: 'Only when refreshed',
};
const BAND_NAME: Record<string, string> = {
  very_high: 'Very high (80-100)',
  high: 'High (60-79)',
  medium: 'Medium (40-59)',
  low: 'Low (0-39)',
};

export function StatusBadge({ a }: { a: AudienceView }) {
  if (a.paused_at) return <Badge tone="neutral">Paused</Badge>;
  if (a.status === 'Completed') return <Badge tone="good">Completed</Badge>;
  if (a.status === 'Failed') return <Badge tone="bad">Failed</Badge>;
  return <Badge tone="wait">{a.status === 'Pending' ? 'Waiting to run' : a.status === 'Syncing' ? 'Writing results' : 'Running'}</Badge>;
}

/** Reloads `reload` every two seconds while `running`, so a run's progress shows without a click. */
function usePolling(running: boolean, reload: () => Promise<void>): void {
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => void reload(), 2000);
    return () => clearInterval(timer);
  }, [running, reload]);
}

const projectsOf = (orgId: string) => api<ProjectListBody>('GET', `/orgs/${orgId}/projects`);

export function AudiencesPage({ org }: { org: OrganizationRef }) {
  const { search } = useLocation();
  const projects = useResource(() => projectsOf(org.organization_id), [org.organization_id]);
  const active = (projects.data?.projects ?? []).filter((p) => p.status === 'active');
  const projectId = search.get('project') ?? active[0]?.project_id ?? projects.data?.projects[0]?.project_id ?? '';
  const base = `/orgs/${org.organization_id}/projects/${projectId}/audiences`;
  const list = useResource(async () => (projectId ? api<AudienceListBody>('GET', base) : undefined), [base, projectId]);
  const audiences = list.data?.audiences ?? [];
  usePolling(
    audiences.some((a) => RUNNING.has(a.status)),
    list.reload,
  );
  const editable = canWriteProjects(org.role);
  const newButton =
    editable && projectId ? (
      <Link to={`/${org.organization_id}/projects/${projectId}/audiences/new`} className="button button-primary">
        New audience
      </Link>
    ) : null;

  if (projects.data && projects.data.projects.length === 0) {
    return (
      <>
        <PageHeader title="Audiences" />
        <EmptyState title="No projects yet" action={<Link to={`/${org.organization_id}/settings/projects`}>Go to Projects</Link>}>
          Audiences belong to a project. Create a project (or load the demo data) first.
        </EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader
        title="Audiences"
        description="People who match your rules (surging on topics, job, company, what they did on your site), recomputed on a schedule and ready to download."
        actions={newButton}
      />
      {projects.data && projects.data.projects.length > 1 ? (
        <Field label="Project">
          {(p) => (
            <select
              {...p}
              value={projectId}
              onChange={(e) => navigate(`/${org.organization_id}/audiences?project=${encodeURIComponent(e.target.value)}`)}
            >
              {projects.data?.projects.map((x) => (
                <option key={x.project_id} value={x.project_id}>
                  {x.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      <ErrorMessage>{projects.error}</ErrorMessage>
      <ListStates
        resource={list}
        items={audiences}
        empty={
          <EmptyState title="No audiences yet" action={newButton}>
            {editable
              ? 'Build your first audience: pick the topics people are researching, and narrow it by who they are.'
              : 'An owner or admin can build audiences.'}
          </EmptyState>
        }
      >
        <DataTable caption="Audiences" columns={['Name', 'Status', 'People', 'Schedule', 'Last completed']}>
          {audiences.map((a) => (
            <tr key={a.audience_id}>
              <th scope="row">
                <Link to={`/${org.organization_id}/projects/${a.project_id}/audiences/${a.audience_id}`}>{a.name}</Link>
              </th>
              <td data-label="Status">
                <StatusBadge a={a} />
              </td>
              <td data-label="People">{a.record_count.toLocaleString()}</td>
              <td data-label="Schedule">{SCHEDULE_NAME[a.refresh_schedule]}</td>
              <td data-label="Last completed">{a.completed_at ? formatDate(a.completed_at) : 'Not yet'}</td>
              <td className="actions" />
            </tr>
          ))}
        </DataTable>
      </ListStates>
    </>
  );
}

/** Whether a filter is complete enough to preview or save: every topic rule has a topic, every field rule a value. */
function complete(g: Group): boolean {
  return (
    g.rules.length > 0 &&
    g.rules.every((r) =>
      isGroup(r)
        ? complete(r)
        : isIntent(r)
          ? r.topic_ids.length > 0
          : r.operator === 'not_null' || (Array.isArray(r.value) ? r.value.length > 0 : r.value !== '' && r.value !== null),
    )
  );
}

export function NewAudiencePage({ org, projectId }: { org: OrganizationRef; projectId: string }) {
  const base = `/orgs/${org.organization_id}/projects/${projectId}/audiences`;
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<'intents' | 'events'>('intents');
  const [windowDays, setWindowDays] = useState(7);
  const [schedule, setSchedule] = useState<AudienceView['refresh_schedule']>('daily');
  const [filter, setFilter] = useState<Group>({ op: 'AND', rules: [{ type: 'INTENT', topic_ids: [], min_score: 60 }] });
  const [topicNames] = useState(() => new Map<string, string>());
  const fields = useResource(
    () =>
      api<FieldCatalogBody>(
        'GET',
        `/orgs/${org.organization_id}/field-catalog?schema_type=${type === 'intents' ? 'audience' : 'event'}&include_options=true`,
      ),
    [org.organization_id, type],
  );
  const ctx: BuilderContext = useMemo(
    () => ({
      orgId: org.organization_id,
      fields: (fields.data?.fields ?? []).filter((f) => f.category !== 'identifier'),
      windowDays,
      topicNames,
      rememberTopic: (id, n) => topicNames.set(id, n),
    }),
    [org.organization_id, fields.data, windowDays, topicNames],
  );
  const body = (mode: 'preview' | 'unload'): AudienceCreateInput => ({
    name: name.trim() || 'Preview',
    description: description.trim(),
    type,
    filter: toFilter(filter),
    refresh_schedule: schedule,
    intent_window_days: windowDays,
    mode,
  });

  // The live size: asked again a moment after the last change, only for a filter that can be run.
  const ready = complete(filter);
  const key = JSON.stringify([type, windowDays, filter]);
  const [preview, setPreview] = useState<{ key: string; body?: AudiencePreviewBody['preview']; error?: string } | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the inputs the preview depends on
  useEffect(() => {
    if (!ready) return;
    let current = true;
    const timer = setTimeout(() => {
      api<AudiencePreviewBody>('POST', base, body('preview')).then(
        (r) => current && setPreview({ key, body: r.preview }),
        (err: unknown) => current && setPreview({ key, error: err instanceof Error ? err.message : String(err) }),
      );
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, ready, base]);
  const save = useAction();

  return (
    <>
      <PageHeader title="New audience" description="Choose who belongs in it. The size below follows your rules as you change them." />
      <form
        className="audience-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run(async () => {
            const { audience } = await api<AudienceBodyOut>('POST', base, body('unload'));
            navigate(`/${org.organization_id}/projects/${projectId}/audiences/${audience.audience_id}`);
          });
        }}
      >
        <Field label="Audience name">
          {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description">
          {(p) => <input {...p} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field
          label="Audience type"
          hint="By intent: people researching topics, narrowed by who they are. By events: people who did something on your site."
        >
          {(p) => (
            <select
              {...p}
              value={type}
              onChange={(e) => {
                const t = e.target.value as 'intents' | 'events';
                setType(t);
                setFilter(
                  t === 'intents'
                    ? { op: 'AND', rules: [{ type: 'INTENT', topic_ids: [], min_score: 60 }] }
                    : { op: 'AND', rules: [{ field: 'path', operator: 'eq', value: '/pricing' }] },
                );
              }}
            >
              <option value="intents">By intent</option>
              <option value="events">By events</option>
            </select>
          )}
        </Field>
        <Field label="Look back (days)" hint="The days of recent activity that count, 1 to 14.">
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={14}
              step={1}
              value={windowDays}
              onChange={(e) => setWindowDays(Math.min(14, Math.max(1, Number(e.target.value) || 1)))}
            />
          )}
        </Field>
        <Field label="Refresh">
          {(p) => (
            <select {...p} value={schedule} onChange={(e) => setSchedule(e.target.value as AudienceView['refresh_schedule'])}>
              <option value="daily">{SCHEDULE_NAME.daily}</option>
              <option value="weekly">{SCHEDULE_NAME.weekly}</option>
              <option value="manual">{SCHEDULE_NAME.manual}</option>
            </select>
          )}
        </Field>
        {fields.data ? <GroupEditor group={filter} onChange={setFilter} ctx={ctx} allowIntent={type === 'intents'} /> : <Loading />}
        <section className="preview" aria-label="Audience size" aria-live="polite">
          <h2>Size</h2>
          {!ready ? (
            <p>Complete the rules to see how many people match.</p>
          ) : preview?.key !== key ? (
            <p>Counting…</p>
          ) : preview.error ? (
            <p className="message message-error">{preview.error}</p>
          ) : preview.body ? (
            <>
              <p className="preview-count">
                {preview.body.record_count.toLocaleString()} {preview.body.record_count === 1 ? 'person matches' : 'people match'}
                {type === 'intents' ? ` (${preview.body.distinct_profile_count.toLocaleString()} with a profile)` : ''}.
              </p>
              <Bands counts={preview.body.bucket_counts} />
            </>
          ) : null}
        </section>
        <ErrorMessage>{save.error}</ErrorMessage>
        <div className="form-actions">
          <Link to={`/${org.organization_id}/audiences?project=${projectId}`} className="button button-secondary">
            Cancel
          </Link>
          <button type="submit" className="button-primary" disabled={save.busy || !ready}>
            {save.busy ? 'Creating…' : 'Create audience'}
          </button>
        </div>
      </form>
    </>
  );
}

function Bands({ counts }: { counts: Record<string, number> }) {
  const bands = Object.keys(BAND_NAME).filter((b) => b in counts);
  if (bands.length === 0) return null;
  return (
    <dl className="bands">
      {bands.map((b) => (
        <div key={b}>
          <dt>{BAND_NAME[b]}</dt>
          <dd>{(counts[b] ?? 0).toLocaleString()}</dd>
        </div>
      ))}
    </dl>
  );
}

const contactName = (c: Record<string, unknown>): string =>
  [c.first_name, c.last_name].filter((x) => typeof x === 'string' && x).join(' ') ||
  (typeof c.current_business_email === 'string' && c.current_business_email) ||
  `${String(c.hem_sha256).slice(0, 10)}…`;

export function AudiencePage({ org, projectId, audienceId }: { org: OrganizationRef; projectId: string; audienceId: string }) {
  const url = `/orgs/${org.organization_id}/projects/${projectId}/audiences/${audienceId}`;
  const one = useResource(() => api<AudienceBodyOut>('GET', url), [url]);
  const a = one.data?.audience;
  const running = a ? RUNNING.has(a.status) : false;
  const sample = useResource(
    async () => (a && a.status === 'Completed' ? api<AudienceSampleBody>('GET', `${url}/sample?limit=25`) : undefined),
    [url, a?.status, a?.completed_at],
  );
  usePolling(running, one.reload);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'delete' | null>(null);
  const act = useAction();
  const editable = canWriteProjects(org.role);
  const topicNames = useResource(async () => {
    const ids = a ? topicsOf(fromFilter(a.filter)) : [];
    if (ids.length === 0) return new Map<string, string>();
    const r = await api<SurgingTopicsBody>(
      'GET',
      `/orgs/${org.organization_id}/intent/surging-topics?window_days=${a?.intent_window_days ?? 7}&topic_ids=${encodeURIComponent(ids.join(','))}&limit=100`,
    );
    return new Map(r.topics.map((t) => [t.topic_id, t.name]));
  }, [org.organization_id, a?.audience_id, a?.updated_at]);

  if (one.error) return <ErrorMessage>{one.error}</ErrorMessage>;
  if (!a) return <Loading />;
  const post = (path: string, message: string) =>
    act.run(async () => {
      await api<AudienceBodyOut>('POST', `${url}/${path}`);
      await one.reload();
      setNotice(message);
      act.setError(null);
    });
  /** The schedule's switch: resumes a paused audience, pauses a running one. */
  const schedule = a.paused_at
    ? { path: 'resume', label: 'Resume', done: 'Resumed: it refreshes on its schedule again.' }
    : { path: 'pause', label: 'Pause', done: 'Paused: it keeps its results but no longer refreshes on its schedule.' };
  const downloadBase = `/dashboard/api${url}/download`;
  return (
    <>
      <PageHeader
        title={a.name}
        description={a.description || undefined}
        actions={
          <>
            <a className="button button-secondary" href={`${downloadBase}?format=csv`} download>
              Download CSV
            </a>
            <a className="button button-secondary" href={`${downloadBase}?format=ndjson`} download>
              Download NDJSON
            </a>
          </>
        }
      />
      <p>
        <Link to={`/${org.organization_id}/audiences?project=${projectId}`}>All audiences</Link>
      </p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage>{act.error}</ErrorMessage>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge a={a} />
            {a.error ? <span className="message-error"> {a.error}</span> : null}
          </dd>
        </div>
        <div>
          <dt>People</dt>
          <dd>
            {a.record_count.toLocaleString()} ({a.distinct_profile_count.toLocaleString()} with a profile)
          </dd>
        </div>
        <div>
          <dt>Look back</dt>
          <dd>{a.intent_window_days === 1 ? '1 day' : `${a.intent_window_days} days`}</dd>
        </div>
        <div>
          <dt>Refresh</dt>
          <dd>
            {a.paused_at ? `Paused ${formatDate(a.paused_at)}` : SCHEDULE_NAME[a.refresh_schedule]}
            {a.renew_time && !a.paused_at ? ` (next ${formatDate(a.renew_time)})` : ''}
          </dd>
        </div>
        <div>
          <dt>Last completed</dt>
          <dd>{a.completed_at ? formatDate(a.completed_at) : 'Not yet'}</dd>
        </div>
      </dl>
      <Bands counts={a.bucket_counts} />
      <section aria-label="Rules">
        <h2>Rules</h2>
        <RulesText group={fromFilter(a.filter)} names={topicNames.data ?? new Map()} />
      </section>
      {editable ? (
        <div className="page-actions">
          <button
            type="button"
            className="button-secondary"
            disabled={act.busy || a.status === 'Syncing'}
            onClick={() => void post('refresh', 'Refresh queued: the audience runs again now.')}
          >
            Refresh now
          </button>
          <button type="button" className="button-secondary" disabled={act.busy} onClick={() => void post(schedule.path, schedule.done)}>
            {schedule.label}
          </button>
          <button type="button" className="button-danger" onClick={() => setConfirm('delete')}>
            Delete
          </button>
        </div>
      ) : null}
      <section aria-label="Sample">
        <h2>Sample</h2>
        {a.status !== 'Completed' ? (
          <p>{running ? 'The sample appears when the run completes.' : 'No results yet.'}</p>
        ) : sample.data ? (
          sample.data.contacts.length === 0 ? (
            <p>Nobody matches yet.</p>
          ) : (
            <DataTable caption="Sample of the audience" columns={['Person', 'Title', 'Company', 'Intent score', 'Page views', 'Topics']}>
              {sample.data.contacts.map((contact) => {
                const c = contact as AudienceContact;
                return (
                  <tr key={c.hem_sha256}>
                    <th scope="row">
                      <Link to={`/${org.organization_id}/people/${c.hem_sha256}`}>{contactName(c)}</Link>
                    </th>
                    <td data-label="Title">{typeof c.job_title === 'string' ? c.job_title : ''}</td>
                    <td data-label="Company">{typeof c.company_name === 'string' ? c.company_name : ''}</td>
                    <td data-label="Intent score">{c.intent_score ?? ''}</td>
                    <td data-label="Page views">{c.intent_frequency}</td>
                    <td data-label="Topics">{c.matched_topics.map((t) => topicNames.data?.get(t) ?? t).join(', ')}</td>
                    <td className="actions" />
                  </tr>
                );
              })}
            </DataTable>
          )
        ) : (
          <Loading />
        )}
      </section>
      {confirm === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${a.name}?`}
          confirmLabel="Delete audience"
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            await api('DELETE', url);
            navigate(`/${org.organization_id}/audiences?project=${projectId}`);
          }}
        >
          <p>Its rules and results are deleted. The people stay in your People list.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function topicsOf(g: Group): string[] {
  return g.rules.flatMap((r) => (isGroup(r) ? topicsOf(r) : isIntent(r) ? r.topic_ids : []));
}

const OP_WORD: Record<string, string> = { AND: 'all of', OR: 'any of' };

/** The filter in words, as a nested list. */
function RulesText({ group, names }: { group: Group; names: Map<string, string> }) {
  return (
    <div>
      People who match {OP_WORD[group.op]}:
      <ul>
        {group.rules.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rules are shown in their stored order
          <li key={i}>
            {isGroup(r) ? (
              <RulesText group={r} names={names} />
            ) : isIntent(r) ? (
              `surging (score ${r.min_score}+) on ${r.topic_ids.map((t) => names.get(t) ?? t).join(' or ')}`
            ) : (
              `${r.field} ${r.operator} ${Array.isArray(r.value) ? r.value.join(', ') : r.value === undefined ? '' : String(r.value)}`
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
