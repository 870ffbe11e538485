// Settings > Projects: list, create and rename the organization's projects. Members see the list;
// owners and admins can change it.
import { NameDialog } from '../components/ConfirmDialog';
import { DataTable, ListPage } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useDialogs, useResource } from '../lib/hooks';
import { canWriteProjects } from '../lib/permissions';
import { Link } from '../lib/router';
import type { OrganizationRef, Project, ProjectBodyOut, ProjectListBody } from '../lib/types';

export function ProjectsPage({ org }: { org: OrganizationRef }) {
  const base = `/orgs/${org.organization_id}/projects`;
  const list = useResource(() => api<ProjectListBody>('GET', base), [base]);
  const { dialog, done, start, close, finish } = useDialogs<{ kind: 'create' } | { kind: 'rename'; project: Project }>();
  const editable = canWriteProjects(org.role);
  const projects = list.data?.projects ?? [];

  return (
    <>
      <ListPage
        title="Projects"
        description="A project holds your pixels and audience data. Events and audiences are queried per project."
        create={editable ? { label: 'Create project', onClick: () => start({ kind: 'create' }) } : undefined}
        notices={[!editable && 'Only owners and admins can create or rename projects. You can see them and their pixels.', done]}
        resource={list}
        items={projects}
        empty={{
          title: 'No projects yet',
          text: editable
            ? 'Create your first project, then add a pixel to it to start collecting events from your site.'
            : 'An owner or admin of this organization needs to create the first project.',
        }}
      >
        <DataTable caption="Projects" columns={['Name', 'Project ID', 'Created']}>
          {projects.map((p) => (
            <tr key={p.project_id}>
              <th scope="row">{p.name}</th>
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
                  <button
                    type="button"
                    className="button-secondary"
                    onClick={() => start({ kind: 'rename', project: p })}
                    aria-label={`Rename ${p.name}`}
                  >
                    Rename
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      </ListPage>
      {dialog ? (
        <NameDialog
          title={dialog.kind === 'create' ? 'Create project' : `Rename ${dialog.project.name}`}
          submitLabel={dialog.kind === 'create' ? 'Create project' : 'Save name'}
          label="Project name"
          hint="For example the website or brand it tracks."
          initial={dialog.kind === 'rename' ? dialog.project.name : ''}
          onClose={close}
          onSubmit={async (name) => {
            // The notice comes after the reload, so the list it points at already shows the change.
            let message = 'Project renamed.';
            if (dialog.kind === 'create') {
              const { project } = await api<ProjectBodyOut>('POST', base, { name });
              message = `Project ${project.name} created. Next, add a pixel to it.`;
            } else {
              await api('PATCH', `${base}/${dialog.project.project_id}`, { name });
            }
            close();
            await list.reload();
            finish(message);
          }}
        />
      ) : null}
    </>
  );
}
