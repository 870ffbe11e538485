// /{org_id}/people: the people the organization's visitors turned out to be, most recently seen
// first, with what their profile says (name, company, title) and how much of them was seen. A
// person appears once a visitor is linked to them: a form with an email, the identify call, a
// server-side event with a hashed email, or an imported row with a visitor id.
import { useState } from 'react';
import { ErrorMessage, Loading, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useResource } from '../lib/hooks';
import { personLabel } from '../lib/people';
import { canWriteProjects } from '../lib/permissions';
import { Link } from '../lib/router';
import type { DashboardPeople, OrganizationRef } from '../lib/types';

const PAGE_SIZE = 25;

export function PeoplePage({ org }: { org: OrganizationRef }) {
  const [offset, setOffset] = useState(0);
  const base = `/orgs/${org.organization_id}/people`;
  const list = useResource(() => api<DashboardPeople>('GET', `${base}?limit=${PAGE_SIZE}&offset=${offset}`), [base, offset]);
  const orgPath = `/${org.organization_id}`;
  const people = list.data?.people ?? [];
  const total = list.data?.total ?? 0;
  const importLink = canWriteProjects(org.role) ? (
    <Link to={`${orgPath}/people/import`} className="button-link">
      Import people
    </Link>
  ) : null;

  return (
    <>
      <PageHeader
        title="People"
        description="Who your visitors are: each person here was linked to at least one visitor, and every event of that visitor, earlier ones included, is attributed to them."
        actions={importLink}
      />
      <ErrorMessage>{list.error}</ErrorMessage>
      {list.loading && !list.data ? (
        <Loading label="Loading people…" />
      ) : list.data && total === 0 ? (
        <HowPeopleAreIdentified orgPath={orgPath} canImport={canWriteProjects(org.role)} />
      ) : list.data ? (
        <>
          <div className="table-scroll">
            <table className="people-table stack-table">
              <caption className="visually-hidden">Identified people, most recently seen first</caption>
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Company</th>
                  <th scope="col">Title</th>
                  <th scope="col">Last seen</th>
                  <th scope="col" className="number">
                    Visitors
                  </th>
                  <th scope="col" className="number">
                    Events
                  </th>
                </tr>
              </thead>
              <tbody>
                {people.map((p) => (
                  <tr key={p.hem_sha256}>
                    <th scope="row">
                      <Link to={`${orgPath}/people/${p.hem_sha256}`}>{personLabel(p)}</Link>
                      {p.name && p.email ? <div className="muted small">{p.email}</div> : null}
                      {!p.has_profile ? <div className="muted small">No profile yet</div> : null}
                    </th>
                    <td data-label="Company">{p.company_name ?? <span className="muted">—</span>}</td>
                    <td className="wrap" data-label="Title">
                      {p.job_title ?? <span className="muted">—</span>}
                    </td>
                    <td data-label="Last seen">{formatDate(p.last_seen)}</td>
                    <td className="number" data-label="Visitors">
                      {p.visitors.toLocaleString()}
                    </td>
                    <td className="number" data-label="Events">
                      {p.events.toLocaleString()}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="table-foot">
            {people.length === 0
              ? 'No more people.'
              : `Showing ${(offset + 1).toLocaleString()}–${(offset + people.length).toLocaleString()} of ${total.toLocaleString()} people. Events count the last 400 days.`}{' '}
            {offset > 0 ? (
              <button type="button" className="button-secondary" onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
                Previous
              </button>
            ) : null}{' '}
            {offset + people.length < total ? (
              <button type="button" className="button-secondary" onClick={() => setOffset(offset + PAGE_SIZE)}>
                Next
              </button>
            ) : null}
          </p>
        </>
      ) : null}
    </>
  );
}

/** The empty state: the three ways a visitor becomes a person here. */
function HowPeopleAreIdentified({ orgPath, canImport }: { orgPath: string; canImport: boolean }) {
  return (
    <section className="empty-state explain" aria-label="No identified people yet">
      <h2>No identified people yet</h2>
      <p>A visitor becomes a person here in one of three ways:</p>
      <ol>
        <li>
          <strong>A form with an email.</strong> Your pixels capture form submissions (on for new pixels): when a visitor sends a form with
          an email field, the browser hashes the email and the visitor is linked to that person. The email itself never leaves the page.
        </li>
        <li>
          <strong>The identify call.</strong> When your site knows who is signed in, call{' '}
          <code>
            delivr.identify({'{'} email: user.email {'}'})
          </code>{' '}
          on the page.
        </li>
        <li>
          <strong>An import.</strong> Upload a CSV or NDJSON list (a CRM export, say) with an <code>email</code> column: it adds names,
          companies and titles to the people you identify, and a <code>visitor_id</code> column links those visitors at once.{' '}
          {canImport ? <Link to={`${orgPath}/people/import`}>Import people</Link> : 'Owners and admins can import.'}
        </li>
      </ol>
      <p>
        Events from before the link count too: once a visitor is identified, their earlier visits show up under the person.{' '}
        <Link to={`${orgPath}/settings/projects`}>Check your pixels in Settings › Projects</Link>
      </p>
    </section>
  );
}
