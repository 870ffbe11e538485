// Pages for paths that lead nowhere, and for a person who belongs to no organization yet.
import { PageHeader } from '../components/ui';
import { Link } from '../lib/router';

export function NotFoundPage({ what }: { what: 'page' | 'organization' | 'project' }) {
  const text = {
    page: 'There is no page at this address. Check the link, or pick a page from the menu.',
    organization: 'This organization does not exist, or you are not a member of it. Use the organization menu to pick one of yours.',
    project: 'This project does not exist in this organization, or it was deleted.',
  }[what];
  return (
    <>
      <PageHeader title={`${what === 'page' ? 'Page' : what === 'organization' ? 'Organization' : 'Project'} not found`} />
      <p>{text}</p>
      <p>
        <Link to="/">Go to the dashboard home</Link>
      </p>
    </>
  );
}

/** For an organization the person was in while this tab was open: they were removed, or it was deleted. */
export function NoLongerMemberPage({ name }: { name: string }) {
  return (
    <>
      <PageHeader title={`You no longer have access to ${name}`} />
      <p>
        An owner of {name} removed you, or the organization was deleted. If you still need access, ask one of its owners to invite you
        again.
      </p>
      <p>
        <Link to="/">Go to the dashboard home</Link>
      </p>
    </>
  );
}

export function NoOrganizationPage() {
  return (
    <>
      <PageHeader title="You're not in an organization yet" />
      <p>
        Your account is not a member of any organization. Ask an owner of your organization to invite you from Settings &gt; Members, or ask
        your Delivr contact. You can still create apps for the Partner API from <Link to="/account/apps">Account &gt; Apps</Link>.
      </p>
    </>
  );
}
