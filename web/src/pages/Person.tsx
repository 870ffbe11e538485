// /{org_id}/people/{hem_sha256}: one person. Their profile by group (contact, company,
// demographics), the visitors linked to them with where each link came from, and everything those
// visitors did, newest first. Owners and admins can undo a wrong link (that visitor's events stop
// counting as the person's) or erase the person altogether; both ask first and say what happens.
import { useEffect, useState } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { IntentPanel } from '../components/IntentPanel';
import { ActionsHead, ErrorMessage, Loading, Notice, PageHeader, RowAction, TableHead } from '../components/ui';
import { api, errorText } from '../lib/api';
import { formatDate, formatDateSeconds } from '../lib/format';
import { useResource } from '../lib/hooks';
import { eventName, isKnownEvent, LINK_SOURCE, personLabel } from '../lib/people';
import { canManageKeys, canWriteProjects } from '../lib/permissions';
import { Link } from '../lib/router';
import type { DashboardPerson, ErasedBody, EventRecord, OrganizationRef, PersonLink, ProfileField } from '../lib/types';

const TIMELINE_PAGE = 50;
const GROUPS: { category: ProfileField['category']; title: string }[] = [
  { category: 'contact', title: 'Contact' },
  { category: 'company', title: 'Company' },
  { category: 'demographics', title: 'Demographics' },
];

type Dialogs = { kind: 'unlink'; link: PersonLink } | { kind: 'erase' };

export function PersonPage({ org, hem }: { org: OrganizationRef; hem: string }) {
  const orgPath = `/${org.organization_id}`;
  const base = `/orgs/${org.organization_id}/people/${encodeURIComponent(hem)}`;
  const person = useResource(() => api<DashboardPerson>('GET', `${base}?limit=${TIMELINE_PAGE}&page=0`), [base]);
  const [dialog, setDialog] = useState<Dialogs | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [erased, setErased] = useState<{ label: string; body: ErasedBody } | null>(null);
  const manage = canManageKeys(org.role);
  const p = person.data;
  const label = p ? personLabel(p) : 'Person';

  const breadcrumb = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>
          <Link to={`${orgPath}/people`}>People</Link>
        </li>
        <li aria-current="page">{erased?.label ?? (p ? label : '…')}</li>
      </ol>
    </nav>
  );

  if (erased) {
    const { profiles, links, events, audience_rows } = erased.body.erased;
    return (
      <>
        {breadcrumb}
        <PageHeader title={`${erased.label} was erased`} />
        <Notice>
          Removed {profiles === 1 ? 'the profile' : 'no profile (there was none)'}, {plural(links, 'visitor link')} and the email hash on{' '}
          {plural(events, 'stored event')}
          {audience_rows > 0 ? `, and them from ${plural(audience_rows, 'stored audience list')}` : ''}. Their events stay in your data,
          attributed to no one.
        </Notice>
        <p>
          <Link to={`${orgPath}/people`}>Back to People</Link>
        </p>
      </>
    );
  }

  const subtitle = p ? [p.fields.find((f) => f.key === 'job_title')?.display, p.fields.find((f) => f.key === 'company_name')?.display] : [];
  const description = subtitle.filter(Boolean).join(' at ') || (p && !p.profile ? 'Identified, but no profile yet.' : undefined);

  return (
    <>
      {breadcrumb}
      <PageHeader
        title={label}
        description={description}
        actions={
          p && manage ? (
            <button type="button" className="button-danger" onClick={() => setDialog({ kind: 'erase' })}>
              Erase person
            </button>
          ) : null
        }
      />
      {done ? <Notice>{done}</Notice> : null}
      <ErrorMessage>{person.error}</ErrorMessage>
      {!p ? (
        person.loading ? (
          <Loading label="Loading person…" />
        ) : null
      ) : (
        <>
          <Profile person={p} orgPath={orgPath} canImport={canWriteProjects(org.role)} />
          <section className="section" aria-labelledby="links-title">
            <h2 id="links-title">Linked visitors</h2>
            {p.links.length === 0 ? (
              <p className="muted">
                No visitor is linked to this person now, so none of your events is attributed to them. A form with their email or an
                identify call links the visitor again.
              </p>
            ) : (
              <div className="table-scroll">
                <table className="stack-table">
                  <caption className="visually-hidden">Visitors linked to {label}</caption>
                  <TableHead columns={['Visitor', 'Linked by', 'First seen', 'Last seen']}>{manage ? <ActionsHead /> : null}</TableHead>
                  <tbody>
                    {p.links.map((l) => (
                      <tr key={l.visitor_id}>
                        <th scope="row">
                          <code>{l.visitor_id}</code>
                        </th>
                        <td data-label="Linked by">{LINK_SOURCE[l.source] ?? l.source}</td>
                        <td data-label="First seen">{formatDate(l.first_seen)}</td>
                        <td data-label="Last seen">{formatDate(l.last_seen)}</td>
                        {manage ? (
                          <td className="actions">
                            <RowAction
                              label="Unlink"
                              name={`Unlink visitor ${l.visitor_id}`}
                              tone="danger"
                              onClick={() => {
                                setDone(null);
                                setDialog({ kind: 'unlink', link: l });
                              }}
                            />
                          </td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <IntentPanel orgId={org.organization_id} hem={hem} />
          <Timeline first={p.timeline} base={base} />
        </>
      )}

      {dialog?.kind === 'unlink' && p ? (
        <ConfirmDialog
          title={`Unlink visitor ${dialog.link.visitor_id}?`}
          confirmLabel="Unlink visitor"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', `${base}/links/${encodeURIComponent(dialog.link.visitor_id)}`);
            setDialog(null);
            setDone(`Visitor ${dialog.link.visitor_id} is no longer linked to ${label}. Its events are unresolved again.`);
            await person.reload();
          }}
        >
          <p>
            This visitor was linked to <strong>{label}</strong> by {(LINK_SOURCE[dialog.link.source] ?? dialog.link.source).toLowerCase()}{' '}
            on {formatDate(dialog.link.first_seen)}. After unlinking, none of its events, earlier ones included, counts as {label}'s, in the
            dashboard or the Events API.
          </p>
          <p>The profile stays. If this visitor identifies again, they are linked again.</p>
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'erase' && p ? (
        <ConfirmDialog
          title={`Erase ${label}?`}
          confirmLabel="Erase person"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const body = await api<ErasedBody>('DELETE', base);
            setDialog(null);
            setErased({ label, body });
          }}
        >
          <p>This permanently removes from {org.name}'s data:</p>
          <ul>
            <li>
              {p.profile
                ? `the profile (${plural(p.fields.filter((f) => f.value !== null).length, 'known field')})`
                : 'the profile (none yet)'}
              ,
            </li>
            <li>the links of {plural(p.links.length, 'visitor')} to this person,</li>
            <li>their hashed email on every stored event that carries it,</li>
            <li>them from every stored audience list.</li>
          </ul>
          <p>
            Their {plural(p.timeline.count, 'event')} stay, attributed to no one. This cannot be undone; a new import or identification of
            the same email starts a new person.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

function Profile({ person, orgPath, canImport }: { person: DashboardPerson; orgPath: string; canImport: boolean }) {
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      {!person.profile ? (
        <Notice>
          There is no profile for this person yet, only their hashed email.{' '}
          {canImport ? <Link to={`${orgPath}/people/import`}>Import a list</Link> : 'An owner or admin can import a list'} with their email
          to add their name, company and title.
        </Notice>
      ) : null}
      <div className="profile-groups">
        {GROUPS.map((g) => {
          const known = person.fields.filter((f) => f.category === g.category && f.display !== null);
          return (
            <section key={g.category} className="card profile-group" aria-labelledby={`group-${g.category}`}>
              <h3 id={`group-${g.category}`}>{g.title}</h3>
              {known.length === 0 ? (
                <p className="muted">Nothing known.</p>
              ) : (
                <dl>
                  {known.map((f) => (
                    <div key={f.key}>
                      <dt>{f.label}</dt>
                      <dd>{f.key === 'linkedin_url' ? <ExternalLink href={f.display ?? ''} /> : f.display}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </section>
          );
        })}
      </div>
      <p className="muted small hem">
        Hashed email (SHA-256): <code>{person.hem_sha256}</code>
      </p>
    </section>
  );
}

/** Only http(s) addresses become links: a profile is imported data, not trusted markup. */
function ExternalLink({ href }: { href: string }) {
  return /^https?:\/\//i.test(href) ? (
    <a href={href} rel="noopener noreferrer nofollow" target="_blank">
      {href}
    </a>
  ) : (
    href
  );
}

function Timeline({ first, base }: { first: DashboardPerson['timeline']; base: string }) {
  const [events, setEvents] = useState<EventRecord[]>(first.events);
  const [next, setNext] = useState<number | null>(first.has_more ? 1 : null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setEvents(first.events);
    setNext(first.has_more ? 1 : null);
  }, [first]);

  const loadMore = async () => {
    if (next === null) return;
    try {
      const page = await api<DashboardPerson>('GET', `${base}?limit=${TIMELINE_PAGE}&page=${next}`);
      setEvents((rows) => {
        const seen = new Set(rows.map((e) => e.event_id));
        return [...rows, ...page.timeline.events.filter((e) => !seen.has(e.event_id))];
      });
      setNext(page.timeline.has_more ? next + 1 : null);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="section" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Activity</h2>
      {events.length === 0 ? (
        <p className="muted">No events are attributed to this person in the last 400 days.</p>
      ) : (
        <>
          <ol className="timeline" aria-label="Events, newest first">
            {events.map((e) => (
              <li key={e.event_id}>
                <time dateTime={new Date(Number(e.ts_millis)).toISOString()}>{formatDateSeconds(Number(e.ts_millis))}</time>
                <div>
                  <span className="timeline-what">
                    {isKnownEvent(e.event_type) ? eventName(e.event_type) : <code>{e.event_type}</code>}
                  </span>
                  {typeof e.title === 'string' && e.title ? <span className="timeline-where"> on {e.title}</span> : null}
                  <div className="muted small">
                    {typeof e.path === 'string' && e.path ? <code title={String(e.url ?? '')}>{e.path}</code> : null}
                    {typeof e.visitor_id === 'string' ? <> · visitor {e.visitor_id.slice(0, 8)}</> : null}
                  </div>
                </div>
              </li>
            ))}
          </ol>
          <ErrorMessage>{error}</ErrorMessage>
          <p className="table-foot">
            Showing {events.length.toLocaleString()} of {first.count.toLocaleString()} events from the last 400 days.{' '}
            {next !== null ? (
              <button type="button" className="button-secondary" onClick={loadMore}>
                Load more
              </button>
            ) : null}
          </p>
        </>
      )}
    </section>
  );
}
