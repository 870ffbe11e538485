// Project > Settings > Pixels: create pixels and choose what they track and where their redirects
// may go, copy the install snippet, and a live install check that polls the pixel's status until its
// first event arrives.
import { useEffect, useState } from 'react';
import { ConfirmDialog, FormDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { formatBytes, scriptSize, TrackerChoice } from '../components/TrackerChoice';
import { Badge, EmptyState, ErrorMessage, Field, Loading, Notice, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { formatDate, formatDateSeconds, trackerName } from '../lib/format';
import { useResource } from '../lib/hooks';
import { canWritePixels } from '../lib/permissions';
import { Link } from '../lib/router';
import type {
  DashboardPixelListBody,
  OrganizationRef,
  Pixel,
  PixelBodyOut,
  PixelStatus,
  ProjectListBody,
  TrackerCatalog,
} from '../lib/types';
import { NotFoundPage } from './NotFound';

const POLL_MS = 2000;

export function PixelsPage({ org, projectId }: { org: OrganizationRef; projectId: string }) {
  const base = `/orgs/${org.organization_id}`;
  const data = useResource(async () => {
    const { projects } = await api<ProjectListBody>('GET', `${base}/projects`);
    const project = projects.find((p) => p.project_id === projectId) ?? null;
    if (!project) return { project: null, pixels: [], catalog: null };
    const [{ pixels }, catalog] = await Promise.all([
      api<DashboardPixelListBody>('GET', `${base}/projects/${projectId}/pixels`),
      api<TrackerCatalog>('GET', '/pixel-trackers'),
    ]);
    return { project, pixels, catalog };
  }, [base, projectId]);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Pixel | null>(null);
  const [deleting, setDeleting] = useState<Pixel | null>(null);
  const [title, setTitle] = useState('');
  const [respectPrivacy, setRespectPrivacy] = useState(false);
  const [trackers, setTrackers] = useState<string[]>([]);
  /** Redirect hosts as typed: one per line (or separated by commas or spaces). */
  const [redirectHosts, setRedirectHosts] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const editable = canWritePixels(org.role);

  if (data.data && !data.data.project) return <NotFoundPage what="project" />;
  const project = data.data?.project;
  const pixels = data.data?.pixels ?? [];
  const catalog = data.data?.catalog ?? null;
  // An archived project's pixels do not collect, and the API refuses new ones (409 project_inactive).
  const archived = project?.status === 'archived';

  const createButton =
    editable && !archived ? (
      <button
        type="button"
        className="button-primary"
        onClick={() => {
          setTitle('');
          setRespectPrivacy(false);
          setRedirectHosts('');
          setTrackers(catalog?.trackers.filter((t) => t.default).map((t) => t.name) ?? []);
          setDone(null);
          setCreating(true);
        }}
      >
        Create pixel
      </button>
    ) : null;

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to={`/${org.organization_id}/settings/projects`}>Projects</Link>
          </li>
          <li>{project?.name ?? '…'}</li>
          <li>Settings</li>
          <li aria-current="page">Pixels</li>
        </ol>
      </nav>
      <PageHeader
        title={project ? `Pixels of ${project.name}` : 'Pixels'}
        description="A pixel is the script that sends your site's visits and actions to Delivr. Create one per site."
        actions={createButton}
      />
      {archived ? (
        <p className="message message-warning" role="status">
          This project is archived: its pixels do not collect events and their script is not served. Unarchive it in{' '}
          <Link to={`/${org.organization_id}/settings/projects`}>Settings › Projects</Link> to collect again.
        </p>
      ) : null}
      {!editable ? <Notice>Only owners and admins can create or delete pixels. You can copy the install snippets.</Notice> : null}
      {done ? <Notice>{done}</Notice> : null}
      <ErrorMessage>{data.error}</ErrorMessage>
      {data.loading && !data.data ? (
        <Loading />
      ) : pixels.length === 0 && !data.error ? (
        <EmptyState title="No pixels yet" action={createButton}>
          {editable
            ? "Create a pixel to get the install snippet for your site. Paste it in your pages' <head> and this page shows when the first event arrives."
            : 'An owner or admin of this organization needs to create a pixel for this project.'}
        </EmptyState>
      ) : (
        <ul className="cards">
          {pixels.map((p) => (
            <li key={p.pixel_id}>
              <PixelCard
                org={org}
                pixel={p}
                catalog={catalog}
                editable={editable}
                onEdit={() => {
                  setTitle(p.title);
                  setRespectPrivacy(p.respect_privacy_signals);
                  setRedirectHosts(p.redirect_hosts.join('\n'));
                  setTrackers(p.trackers);
                  setDone(null);
                  setEditing(p);
                }}
                onDelete={() => setDeleting(p)}
              />
            </li>
          ))}
        </ul>
      )}
      {creating || editing ? (
        <FormDialog
          title={editing ? `Edit pixel ${editing.title}` : 'Create pixel'}
          submitLabel={editing ? 'Save changes' : 'Create pixel'}
          onClose={() => {
            setCreating(false);
            setEditing(null);
          }}
          onSubmit={async () => {
            const body = {
              title: title.trim(),
              respect_privacy_signals: respectPrivacy,
              trackers,
              redirect_hosts: redirectHosts.split(/[\s,]+/).filter(Boolean),
            };
            // The notice comes after the reload, so the cards it points at already show the change.
            if (editing) {
              const { pixel } = await api<PixelBodyOut>('PATCH', `${base}/pixels/${editing.pixel_id}`, body);
              setEditing(null);
              await data.reload();
              setDone(`Pixel ${pixel.title} saved. Sites with its snippet pick up the change within 5 minutes.`);
            } else {
              const { pixel } = await api<PixelBodyOut>('POST', `${base}/projects/${projectId}/pixels`, body);
              setCreating(false);
              await data.reload();
              setDone(`Pixel ${pixel.title} created. Copy its snippet below into your site.`);
            }
          }}
        >
          <Field label="Pixel name" hint="Usually the site it goes on, for example www.example.com.">
            {(p) => <input {...p} required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />}
          </Field>
          {catalog ? <TrackerChoice catalog={catalog} chosen={trackers} onChange={setTrackers} /> : null}
          <div className="checkbox">
            <input id="respect-privacy" type="checkbox" checked={respectPrivacy} onChange={(e) => setRespectPrivacy(e.target.checked)} />
            <label htmlFor="respect-privacy">Send nothing from browsers with Do Not Track or Global Privacy Control turned on</label>
          </div>
          <Field
            label="Redirect destinations"
            hint="Host names this pixel's redirect links (redir) may send visitors to, one per line: shop.example.com, or *.example.com for its subdomains. Links to any other host are refused, so nobody can use your pixel to send people to a site of theirs."
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                spellCheck={false}
                placeholder="shop.example.com"
                value={redirectHosts}
                onChange={(e) => setRedirectHosts(e.target.value)}
              />
            )}
          </Field>
        </FormDialog>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete pixel ${deleting.title}?`}
          confirmLabel="Delete pixel"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `${base}/pixels/${deleting.pixel_id}`);
            setDeleting(null);
            await data.reload();
            setDone(`Pixel ${deleting.title} deleted.`);
          }}
        >
          <p>Sites with its snippet stop sending events within a few minutes. Events already collected stay queryable.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function PixelCard({
  org,
  pixel,
  catalog,
  editable,
  onEdit,
  onDelete,
}: {
  org: OrganizationRef;
  pixel: Pixel;
  catalog: TrackerCatalog | null;
  editable: boolean;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const [firstEvent, setFirstEvent] = useState<string | null>(pixel.first_event_at);
  const headingId = `pixel-${pixel.pixel_id}`;

  useEffect(() => {
    if (firstEvent !== null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const check = async () => {
      try {
        const s = await api<PixelStatus>('GET', `/orgs/${org.organization_id}/pixels/${pixel.pixel_id}/status`);
        if (stopped) return;
        if (s.first_event_at !== null) return setFirstEvent(s.first_event_at);
      } catch {
        // A failed check is retried on the next tick; the card keeps saying it is waiting.
      }
      if (!stopped) timer = setTimeout(check, POLL_MS);
    };
    timer = setTimeout(check, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [firstEvent, org.organization_id, pixel.pixel_id]);

  return (
    <article className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h2 id={headingId}>{pixel.title}</h2>
        <div className="install-status" role="status" aria-live="polite" data-installed={firstEvent !== null ? 'true' : 'false'}>
          {firstEvent !== null ? (
            <Badge tone="good">Installed · first event {formatDateSeconds(firstEvent)}</Badge>
          ) : (
            <Badge tone="wait">Waiting for the first event…</Badge>
          )}
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Pixel ID</dt>
          <dd>
            <code>{pixel.pixel_id}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDate(pixel.created_at)}</dd>
        </div>
        <div>
          <dt>Tracks</dt>
          <dd data-testid="pixel-trackers">
            {[
              'Page views',
              ...(catalog?.trackers.filter((t) => pixel.trackers.includes(t.name)).map((t) => t.name) ?? pixel.trackers).map(trackerName),
            ].join(', ')}
          </dd>
        </div>
        <div>
          <dt>Redirects to</dt>
          <dd data-testid="pixel-redirect-hosts">
            {pixel.redirect_hosts.length > 0 ? pixel.redirect_hosts.join(', ') : 'nowhere (no destinations registered)'}
          </dd>
        </div>
        <div>
          <dt>Script size</dt>
          <dd>{catalog ? `${formatBytes(scriptSize(catalog, pixel.trackers))} gzipped` : '…'}</dd>
        </div>
      </dl>
      <h3>Install snippet</h3>
      <p>
        Paste this into the <code>&lt;head&gt;</code> of every page of your site. This page checks every few seconds and turns green when
        the first event arrives.
      </p>
      <pre className="snippet">
        <code>{pixel.snippet}</code>
      </pre>
      <div className="card-actions">
        <CopyButton text={pixel.snippet} label="Copy snippet" what={`for ${pixel.title}`} />
        <Link to={`/${org.organization_id}/events?pixel=${pixel.pixel_id}`} className="button-link">
          See events
        </Link>
        {editable ? (
          <button type="button" className="button-link" onClick={onEdit} aria-label={`Edit pixel ${pixel.title}`}>
            Edit
          </button>
        ) : null}
        {editable ? (
          <button type="button" className="button-danger-quiet" onClick={onDelete} aria-label={`Delete pixel ${pixel.title}`}>
            Delete
          </button>
        ) : null}
      </div>
    </article>
  );
}
