// Settings > Projects: list, create and rename the organization's projects, set the time zone their
// traffic stats count days in (a new project takes the creator's browser zone) and how long each
// keeps its events (retention), and archive or unarchive them. Members see the list; owners and
// admins can change it. Archiving asks first and says what it does: the pixels stop collecting, the data
// stays. A new organization can load the demo dataset (src/demo) to try people, intent and audiences
// before its own pixel has collected anything.
import { useState } from 'react';
import { ConfirmDialog, FormDialog } from '../components/ConfirmDialog';
import { Badge, DataTable, EmptyState, Field, ListStates, Notice, PageHeader, RowAction } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useResource } from '../lib/hooks';
import { canWriteProjects } from '../lib/permissions';
import { Link } from '../lib/router';
import type {
  DemoLoadedOut,
  OrganizationRef,
  Project,
  ProjectBodyOut,
  ProjectCreateInput,
  ProjectListBody,
  ProjectUpdateInput,
} from '../lib/types';

/** The API's bounds for retention_days (src/projects/schemas.ts). */
const RETENTION_MIN = 1;
const RETENTION_MAX = 3650;

type Dialog =
  | { kind: 'create' }
  | { kind: 'rename'; project: Project }
  | { kind: 'zone'; project: Project }
  | { kind: 'retention'; project: Project }
  | { kind: 'archive'; project: Project }
  | { kind: 'unarchive'; project: Project }
  | { kind: 'demo' };

/** The demo project's name (src/demo/service.ts): once it exists, the demo is not offered again. */
const DEMO_PROJECT_NAME = 'Northwind Cloud (demo)';

const retentionText = (days: number | null): string => (days === null ? 'Keep forever' : days === 1 ? '1 day' : `${days} days`);

/** The input's text → retention_days: empty keeps events forever. The input's min/max/step have checked the rest. */
const parseRetention = (text: string): number | null => (text.trim() === '' ? null : Number(text));

/** What the chosen retention will do, in words, under the input. */
const retentionHint = (text: string): string => {
  const days = parseRetention(text);
  if (days === null) return 'Empty: events are kept forever.';
  if (!Number.isInteger(days) || days < RETENTION_MIN || days > RETENTION_MAX) {
    return `Enter a whole number of days from ${RETENTION_MIN} to ${RETENTION_MAX}, or leave it empty to keep events forever.`;
  }
  return `Events older than ${retentionText(days)} are deleted automatically, about once an hour. Deleted events cannot be recovered.`;
};

/** The zone of the person's browser, which a new project starts with. */
const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Every zone the browser knows, with the project's own and UTC even if it does not list them. */
const zoneChoices = (current: string): string[] =>
  [...new Set(['UTC', current, browserZone(), ...Intl.supportedValuesOf('timeZone')])].sort();

export function ProjectsPage({ org }: { org: OrganizationRef }) {
  const base = `/orgs/${org.organization_id}/projects`;
  const list = useResource(() => api<ProjectListBody>('GET', base), [base]);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [name, setName] = useState('');
  const [retention, setRetention] = useState('');
  const [zone, setZone] = useState('UTC');
  const [done, setDone] = useState<string | null>(null);
  const [demo, setDemo] = useState<DemoLoadedOut | null>(null);
  const editable = canWriteProjects(org.role);
  const projects = list.data?.projects ?? [];

  const open = (d: Dialog) => {
    setName(d.kind === 'create' || d.kind === 'demo' ? '' : d.project.name);
    setRetention(d.kind === 'create' || d.kind === 'demo' || d.project.retention_days === null ? '' : String(d.project.retention_days));
    setZone(d.kind === 'create' || d.kind === 'demo' ? browserZone() : d.project.time_zone);
    setDone(null);
    setDemo(null);
    setDialog(d);
  };
  /** Closes the dialog, reloads the list, then says what happened (so the list already shows it). */
  const finish = async (message: string) => {
    setDialog(null);
    await list.reload();
    setDone(message);
  };

  const createButton = editable ? (
    <button type="button" className="button-primary" onClick={() => open({ kind: 'create' })}>
      Create project
    </button>
  ) : null;
  const demoButton =
    editable && list.data && !projects.some((p) => p.name === DEMO_PROJECT_NAME) ? (
      <button type="button" className="button-secondary" onClick={() => open({ kind: 'demo' })}>
        Load demo data
      </button>
    ) : null;

  const retentionField = (
    <Field label="Delete events older than (days)" hint={retentionHint(retention)}>
      {(p) => (
        <input
          {...p}
          type="number"
          inputMode="numeric"
          min={RETENTION_MIN}
          max={RETENTION_MAX}
          step={1}
          placeholder="Keep forever"
          value={retention}
          onChange={(e) => setRetention(e.target.value)}
        />
      )}
    </Field>
  );

  const zoneField = (
    <Field label="Time zone" hint="The traffic overview counts days, weeks and months in this zone.">
      {(p) => (
        <select {...p} value={zone} onChange={(e) => setZone(e.target.value)}>
          {zoneChoices(zone).map((z) => (
            <option key={z} value={z}>
              {z.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      )}
    </Field>
  );

  return (
    <>
      <PageHeader
        title="Projects"
        description="A project holds your pixels and audience data. Events and audiences are queried per project."
        actions={
          <>
            {createButton}
            {demoButton}
          </>
        }
      />
      {!editable ? (
        <Notice>Only owners and admins can create, change or archive projects. You can see them and their pixels.</Notice>
      ) : null}
      {done ? <Notice>{done}</Notice> : null}
      {demo ? (
        <Notice>
          Demo data loaded: {demo.people.toLocaleString()} people, {demo.identified_people.toLocaleString()} of them seen on the demo site
          and {demo.surging_people.toLocaleString()} researching a topic right now, in {demo.events.toLocaleString()} events.{' '}
          <Link to={`/${org.organization_id}/people`}>See the people</Link>
        </Notice>
      ) : null}
      <ListStates
        resource={list}
        items={projects}
        empty={
          <EmptyState
            title="No projects yet"
            action={
              <>
                {createButton}
                {demoButton}
              </>
            }
          >
            {editable
              ? 'Create your first project, then add a pixel to it to start collecting events from your site. Or load demo data to look around first.'
              : 'An owner or admin of this organization needs to create the first project.'}
          </EmptyState>
        }
      >
        <DataTable caption="Projects" columns={['Name', 'Status', 'Time zone', 'Event retention', 'Project ID', 'Created']}>
          {projects.map((p) => (
            <tr key={p.project_id}>
              <th scope="row">{p.name}</th>
              <td>{p.status === 'archived' ? <Badge tone="neutral">Archived</Badge> : <Badge tone="good">Active</Badge>}</td>
              <td>
                {p.time_zone.replaceAll('_', ' ')}
                {editable ? (
                  <>
                    {' '}
                    <button
                      type="button"
                      className="button-link"
                      onClick={() => open({ kind: 'zone', project: p })}
                      aria-label={`Change time zone of ${p.name}`}
                    >
                      Change
                    </button>
                  </>
                ) : null}
              </td>
              <td>
                {retentionText(p.retention_days)}
                {editable ? (
                  <>
                    {' '}
                    <RowAction
                      label="Change"
                      name={`Change retention of ${p.name}`}
                      tone="link"
                      onClick={() => open({ kind: 'retention', project: p })}
                    />
                  </>
                ) : null}
              </td>
              <td>
                <code>{p.project_id}</code>
              </td>
              <td>{formatDate(p.created_at)}</td>
              <td className="actions">
                <Link
                  to={`/${org.organization_id}/projects/${p.project_id}/settings/pixels`}
                  className="button-link"
                  aria-label={`Pixels of ${p.name}`}
                >
                  Pixels
                </Link>
                {editable ? (
                  <>
                    <RowAction label="Rename" name={`Rename ${p.name}`} onClick={() => open({ kind: 'rename', project: p })} />
                    {p.status === 'archived' ? (
                      <RowAction label="Unarchive" name={`Unarchive ${p.name}`} onClick={() => open({ kind: 'unarchive', project: p })} />
                    ) : (
                      <RowAction label="Archive" name={`Archive ${p.name}`} onClick={() => open({ kind: 'archive', project: p })} />
                    )}
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      </ListStates>
      {dialog?.kind === 'create' ? (
        <FormDialog
          title="Create project"
          submitLabel="Create project"
          onClose={() => setDialog(null)}
          onSubmit={async () => {
            const body: ProjectCreateInput = { name: name.trim(), time_zone: zone, retention_days: parseRetention(retention) };
            const { project } = await api<ProjectBodyOut>('POST', base, body);
            await finish(`Project ${project.name} created. Next, add a pixel to it.`);
          }}
        >
          <Field label="Project name" hint="For example the website or brand it tracks.">
            {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          {zoneField}
          {retentionField}
        </FormDialog>
      ) : null}
      {dialog?.kind === 'demo' ? (
        <ConfirmDialog
          title="Load demo data?"
          confirmLabel="Load demo data"
          destructive={false}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const loaded = await api<DemoLoadedOut>('POST', `/orgs/${org.organization_id}/demo`, {});
            setDialog(null);
            await list.reload();
            setDemo(loaded);
          }}
        >
          <p>
            Adds a project named {DEMO_PROJECT_NAME} with a pixel on a made-up website, and fills it with four weeks of visits from 2,000
            people at made-up companies (with names, job titles and companies, as from a CRM), some of them researching a topic right now.
          </p>
          <p>
            The people join this organization's People list. It takes a few seconds. You can archive the project later; the people stay
            until you erase them.
          </p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'rename' ? (
        <FormDialog
          title={`Rename ${dialog.project.name}`}
          submitLabel="Save name"
          onClose={() => setDialog(null)}
          onSubmit={async () => {
            const body: ProjectUpdateInput = { name: name.trim() };
            await api<ProjectBodyOut>('PATCH', `${base}/${dialog.project.project_id}`, body);
            await finish('Project renamed.');
          }}
        >
          <Field label="Project name" hint="For example the website or brand it tracks.">
            {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
        </FormDialog>
      ) : null}
      {dialog?.kind === 'zone' ? (
        <FormDialog
          title={`Time zone of ${dialog.project.name}`}
          submitLabel="Save time zone"
          onClose={() => setDialog(null)}
          onSubmit={async () => {
            const body: ProjectUpdateInput = { time_zone: zone };
            const { project } = await api<ProjectBodyOut>('PATCH', `${base}/${dialog.project.project_id}`, body);
            await finish(`${project.name} now counts its days in ${project.time_zone}.`);
          }}
        >
          {zoneField}
        </FormDialog>
      ) : null}
      {dialog?.kind === 'retention' ? (
        <FormDialog
          title={`Event retention of ${dialog.project.name}`}
          submitLabel="Save retention"
          onClose={() => setDialog(null)}
          onSubmit={async () => {
            const body: ProjectUpdateInput = { retention_days: parseRetention(retention) };
            const { project } = await api<ProjectBodyOut>('PATCH', `${base}/${dialog.project.project_id}`, body);
            await finish(
              project.retention_days === null
                ? `${project.name} now keeps its events forever.`
                : `${project.name} now keeps events for ${retentionText(project.retention_days)}; older ones are deleted automatically.`,
            );
          }}
        >
          <p>
            How long this project keeps the events its pixels collect. It applies to all of its pixels, also while the project is archived.
          </p>
          {retentionField}
        </FormDialog>
      ) : null}
      {dialog?.kind === 'archive' ? (
        <ConfirmDialog
          title={`Archive ${dialog.project.name}?`}
          confirmLabel="Archive project"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api<ProjectBodyOut>('POST', `${base}/${dialog.project.project_id}/archive`);
            await finish(`${dialog.project.name} is archived. Its pixels no longer collect events.`);
          }}
        >
          <p>
            Its pixels stop collecting at once: events sent to them are refused and their script is no longer served (a browser that loaded
            it in the last few minutes may still run its copy, but what it sends is refused). No new pixel can be added to it.
          </p>
          <p>Its events, pixels and settings are kept. You can unarchive it at any time to collect again.</p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'unarchive' ? (
        <ConfirmDialog
          title={`Unarchive ${dialog.project.name}?`}
          confirmLabel="Unarchive project"
          destructive={false}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api<ProjectBodyOut>('POST', `${base}/${dialog.project.project_id}/unarchive`);
            await finish(`${dialog.project.name} is active again. Its pixels collect events from the next visit.`);
          }}
        >
          <p>Its pixels start collecting events again from the next visit to a site with their snippet.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
