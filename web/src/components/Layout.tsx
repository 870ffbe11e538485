// The signed-in frame: a header with the organization switcher and the account, a navigation
// sidebar for the current organization, and the page. A skip link jumps past both.
import type { ReactNode } from 'react';
import { api } from '../lib/api';
import { canManageKeys } from '../lib/permissions';
import { Link, navigate, useLocation } from '../lib/router';
import { useSession } from '../lib/session';

/** Where to go when switching organizations: the same page in the other one, where that exists. */
function pathInOtherOrg(path: string, fromOrg: string | null, toOrg: string): string {
  const rest = fromOrg ? path.split('/').slice(2).join('/') : '';
  // A project belongs to one organization: its pages have no counterpart in another.
  if (rest === '' || rest.startsWith('projects/')) return `/${toOrg}`;
  return `/${toOrg}/${rest}`;
}

export function Layout({ orgId, children }: { orgId: string | null; children: ReactNode }) {
  const { session, setSession } = useSession();
  const { path } = useLocation();
  const orgs = session.organizations;
  const current = orgs.find((o) => o.organization_id === orgId) ?? null;
  const homeOrg = current ?? orgs[0] ?? null;

  const signOut = async () => {
    try {
      await api('DELETE', '/session');
    } finally {
      setSession(null);
      navigate('/sign-in', { replace: true });
    }
  };

  /** A navigation entry; with `section`, its sub-pages (a person, the import) mark it current too. */
  const nav = (to: string, label: string, section = false) => (
    <li>
      <Link to={to} aria-current={path === to ? 'page' : section && path.startsWith(`${to}/`) ? 'true' : undefined}>
        {label}
      </Link>
    </li>
  );

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={homeOrg ? `/${homeOrg.organization_id}` : '/'} className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Delivr
        </Link>
        {orgs.length > 1 ? (
          <div className="org-switcher">
            <label htmlFor="org-switcher">Organization</label>
            <select
              id="org-switcher"
              value={current?.organization_id ?? ''}
              onChange={(e) => navigate(pathInOtherOrg(path, current?.organization_id ?? null, e.target.value))}
            >
              {current ? null : <option value="">Choose…</option>}
              {orgs.map((o) => (
                <option key={o.organization_id} value={o.organization_id}>
                  {o.name}
                </option>
              ))}
            </select>
          </div>
        ) : homeOrg ? (
          <span className="org-name">{homeOrg.name}</span>
        ) : null}
        <div className="account">
          <span className="account-email">{session.user.email}</span>
          <button type="button" className="button-secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="frame">
        <nav className="sidebar" aria-label="Main">
          {homeOrg ? (
            <>
              <ul>
                {nav(`/${homeOrg.organization_id}`, 'Overview')}
                {nav(`/${homeOrg.organization_id}/events`, 'Events')}
                {nav(`/${homeOrg.organization_id}/people`, 'People', true)}
                {nav(`/${homeOrg.organization_id}/topics`, 'Topics')}
                {nav(`/${homeOrg.organization_id}/audiences`, 'Audiences', true)}
              </ul>
              <h2 className="nav-heading">Settings</h2>
              <ul>
                {nav(`/${homeOrg.organization_id}/settings/projects`, 'Projects')}
                {nav(`/${homeOrg.organization_id}/settings/members`, 'Members')}
                {canManageKeys(homeOrg.role) ? nav(`/${homeOrg.organization_id}/settings/api-keys`, 'API keys') : null}
              </ul>
            </>
          ) : null}
          <h2 className="nav-heading">Account</h2>
          <ul>{nav('/account/apps', 'Apps')}</ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
