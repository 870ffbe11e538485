// The organization's home: once a pixel has sent events, the traffic overview of a project (the
// project, period and filters in the URL); until then, what to do next, in order, with what is
// already done ticked off, the empty state a new user lands on after accepting their invitation.
import { TrafficOverview } from '../components/stats/TrafficOverview';
import { Badge, ErrorMessage, Loading, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { useResource } from '../lib/hooks';
import { readView, writeView } from '../lib/overview-state';
import { canManageKeys, canWriteProjects, ROLE_LABEL } from '../lib/permissions';
import { Link, navigate, useLocation } from '../lib/router';
import type { ApiKey, ApiKeyListBody, DashboardPixelListBody, OrganizationRef, Pixel, Project, ProjectListBody } from '../lib/types';

interface Progress {
  projects: Project[];
  pixels: Pixel[];
  keys: ApiKey[] | null;
}

export function OverviewPage({ org }: { org: OrganizationRef }) {
  const base = `/orgs/${org.organization_id}`;
  const progress = useResource(async (): Promise<Progress> => {
    const { projects } = await api<ProjectListBody>('GET', `${base}/projects`);
    const pixels = (
      await Promise.all(projects.map((p) => api<DashboardPixelListBody>('GET', `${base}/projects/${p.project_id}/pixels`)))
    ).flatMap((r) => r.pixels);
    const keys = canManageKeys(org.role) ? (await api<ApiKeyListBody>('GET', `${base}/api-keys`)).keys : null;
    return { projects, pixels, keys };
  }, [org.organization_id, org.role]);

  const p = progress.data;
  const firstProject = p?.projects[0];
  const live = p?.pixels.some((x) => x.first_event_at !== null) ?? false;
  const orgPath = `/${org.organization_id}`;
  const { path, search } = useLocation();

  if (p && live) {
    const tracked = p.projects.filter((x) => p.pixels.some((px) => px.project_id === x.project_id));
    const view = readView(search);
    const withEvents = p.pixels.find((px) => px.first_event_at !== null)?.project_id ?? '';
    const project = tracked.some((x) => x.project_id === view.project) ? view.project : withEvents;
    return (
      <TrafficOverview
        orgId={org.organization_id}
        projects={tracked}
        view={{ ...view, project }}
        onView={(v) => navigate(`${path}${writeView(v)}`)}
      />
    );
  }

  return (
    <>
      <PageHeader
        title={`Welcome to ${org.name}`}
        description={
          <>
            You are {org.role === 'admin' ? 'an' : 'a'} <strong>{ROLE_LABEL[org.role]}</strong> of this organization. Set up tracking in a
            few steps.
          </>
        }
      />
      <ErrorMessage>{progress.error}</ErrorMessage>
      {!p ? (
        <Loading />
      ) : (
        <ol className="steps">
          <Step done={p.projects.length > 0} title="Create a project">
            A project holds your pixels and audiences.{' '}
            {p.projects.length > 0 ? (
              `You have ${p.projects.length} project${p.projects.length === 1 ? '' : 's'}.`
            ) : canWriteProjects(org.role) ? (
              <Link to={`${orgPath}/settings/projects`}>Go to Settings › Projects</Link>
            ) : (
              'Ask an owner or admin to create one.'
            )}
          </Step>
          <Step done={p.pixels.length > 0} title="Create a pixel and install it on your site">
            A pixel is a small script for your site's &lt;head&gt;.{' '}
            {firstProject ? (
              <Link to={`${orgPath}/projects/${firstProject.project_id}/settings/pixels`}>
                Open {firstProject.name} › Settings › Pixels
              </Link>
            ) : (
              'Create a project first.'
            )}
          </Step>
          <Step done={live} title="See the first events arrive">
            Once the snippet is on your site, visits show up within seconds. <Link to={`${orgPath}/events`}>Open Events</Link>
          </Step>
          {p.keys !== null ? (
            <Step done={p.keys.some((k) => k.status === 'active')} title="Create an API key to query your data">
              An API key and secret give your code access to events, audiences and lookups for every project.{' '}
              <Link to={`${orgPath}/settings/api-keys`}>Go to Settings › API keys</Link>
            </Step>
          ) : null}
          <Step done={false} optional title="Create an app for the Partner API">
            Only needed to manage projects and pixels from your own code. <Link to="/account/apps">Go to Account › Apps</Link>
          </Step>
        </ol>
      )}
    </>
  );
}

function Step({
  done,
  optional = false,
  title,
  children,
}: {
  done: boolean;
  optional?: boolean;
  title: string;
  children: React.ReactNode;
}) {
  return (
    <li className={done ? 'step step-done' : 'step'}>
      <div className="step-head">
        <h2>{title}</h2>
        {done ? <Badge tone="good">Done</Badge> : optional ? <Badge tone="neutral">Optional</Badge> : <Badge tone="wait">To do</Badge>}
      </div>
      <p>{children}</p>
    </li>
  );
}
