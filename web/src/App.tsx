// The dashboard's routes and session. URLs follow the seeds: /{org_id}/settings/api-keys,
// /account/apps, plus the links the server emails (/invite/{token}, /reset-password/{token},
// /confirm-signup/{token}).
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { api, onOrganizationLost, onSessionLost, setCsrfToken } from './lib/api';
import { navigate, useLocation } from './lib/router';
import { SessionContext, type SessionState } from './lib/session';
import type { Session } from './lib/types';
import { ApiKeysPage } from './pages/ApiKeys';
import { AppsPage } from './pages/Apps';
import { AudiencePage, AudiencesPage, NewAudiencePage } from './pages/Audiences';
import { ConfirmSignupPage } from './pages/auth/ConfirmSignup';
import { InvitePage } from './pages/auth/Invite';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/auth/Password';
import { SignInPage } from './pages/auth/SignIn';
import { SignUpPage } from './pages/auth/SignUp';
import { EventsPage } from './pages/Events';
import { ImportPeoplePage } from './pages/ImportPeople';
import { MembersPage } from './pages/Members';
import { NoLongerMemberPage, NoOrganizationPage, NotFoundPage } from './pages/NotFound';
import { OverviewPage } from './pages/Overview';
import { PeoplePage } from './pages/People';
import { PersonPage } from './pages/Person';
import { PixelsPage } from './pages/Pixels';
import { ProjectsPage } from './pages/Projects';
import { TopicsPage } from './pages/Topics';

type Route =
  | { name: 'sign-in' | 'sign-up' | 'forgot-password' | 'home' | 'apps' | 'not-found' }
  | { name: 'reset-password' | 'invite' | 'confirm-signup'; token: string }
  | { name: 'overview' | 'events' | 'topics' | 'people' | 'people-import' | 'projects' | 'members' | 'api-keys' | 'audiences'; org: string }
  | { name: 'audience-new'; org: string; project: string }
  | { name: 'audience'; org: string; project: string; audience: string }
  | { name: 'person'; org: string; hem: string }
  | { name: 'pixels'; org: string; project: string };

const PUBLIC = new Set(['sign-in', 'sign-up', 'forgot-password', 'reset-password', 'invite', 'confirm-signup']);

export function matchRoute(path: string): Route {
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { name: 'not-found' };
  }
  const [a, b, c, d, e] = parts;
  const n = parts.length;
  if (n === 0) return { name: 'home' };
  if (n === 1 && (a === 'sign-in' || a === 'sign-up' || a === 'forgot-password')) return { name: a };
  if (n === 2 && (a === 'reset-password' || a === 'invite' || a === 'confirm-signup') && b) return { name: a, token: b };
  if (n === 2 && a === 'account' && b === 'apps') return { name: 'apps' };
  if (!a || a === 'account') return { name: 'not-found' };
  if (n === 1) return { name: 'overview', org: a };
  if (n === 2 && b === 'events') return { name: 'events', org: a };
  if (n === 2 && b === 'topics') return { name: 'topics', org: a };
  if (n === 2 && b === 'audiences') return { name: 'audiences', org: a };
  if (n === 5 && b === 'projects' && c && d === 'audiences' && e === 'new') return { name: 'audience-new', org: a, project: c };
  if (n === 5 && b === 'projects' && c && d === 'audiences' && e) return { name: 'audience', org: a, project: c, audience: e };
  if (n === 2 && b === 'people') return { name: 'people', org: a };
  if (n === 3 && b === 'people' && c === 'import') return { name: 'people-import', org: a };
  if (n === 3 && b === 'people' && c) return { name: 'person', org: a, hem: c };
  if (n === 3 && b === 'settings' && (c === 'projects' || c === 'members' || c === 'api-keys')) return { name: c, org: a };
  if (n === 5 && b === 'projects' && c && d === 'settings' && e === 'pixels') return { name: 'pixels', org: a, project: c };
  return { name: 'not-found' };
}

export function App() {
  const { path, search } = useLocation();
  const route = useMemo(() => matchRoute(path), [path]);
  const [session, setSessionState] = useState<Session | null | undefined>(undefined);

  const setSession = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrf_token ?? '');
    setSessionState(s);
  }, []);

  const refresh = useCallback(async () => {
    try {
      setSession(await api<Session>('GET', '/session'));
    } catch {
      setSession(null);
    }
  }, [setSession]);

  useEffect(() => {
    onSessionLost(() => setSession(null));
    onOrganizationLost(() => void refresh());
    void refresh();
  }, [refresh, setSession]);

  // Organizations this tab has seen the person in, so one that leaves the session (they were
  // removed) is explained by name instead of as "not found".
  const knownOrgs = useRef(new Map<string, string>());
  for (const o of session?.organizations ?? []) knownOrgs.current.set(o.organization_id, o.name);

  // After a navigation, move focus to the new page's heading so keyboard and screen reader users start there.
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation (path change)
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const t = setTimeout(() => document.getElementById('page-title')?.focus(), 0);
    return () => clearTimeout(t);
  }, [path]);

  const needsSession = !PUBLIC.has(route.name);
  useEffect(() => {
    if (session === null && needsSession) {
      const next = path === '/' ? '' : `?next=${encodeURIComponent(path + (search.size ? `?${search}` : ''))}`;
      navigate(`/sign-in${next}`, { replace: true });
    }
    if (session && (route.name === 'sign-in' || route.name === 'sign-up')) navigate(safeNext(search.get('next')), { replace: true });
    if (session && route.name === 'home' && session.organizations[0]) {
      navigate(`/${session.organizations[0].organization_id}`, { replace: true });
    }
  }, [session, needsSession, route.name, path, search]);

  if (session === undefined) return <Loading label="Loading the dashboard…" />;

  const onSignedIn = (s: Session, to: string) => {
    setSession(s);
    navigate(to, { replace: true });
  };

  switch (route.name) {
    case 'sign-in':
      return <SignInPage onSignedIn={(s) => onSignedIn(s, safeNext(search.get('next')))} notice={search.get('notice')} />;
    case 'sign-up':
      return <SignUpPage onSignedIn={(s) => onSignedIn(s, `/${s.organizations[0]?.organization_id ?? ''}`)} />;
    case 'forgot-password':
      return <ForgotPasswordPage />;
    case 'reset-password':
      return <ResetPasswordPage token={route.token} onReset={() => setSession(null)} />;
    case 'confirm-signup':
      return <ConfirmSignupPage token={route.token} onSignedIn={(s) => onSignedIn(s, `/${s.organizations[0]?.organization_id ?? ''}`)} />;
    case 'invite':
      return <InvitePage token={route.token} onAccepted={(s, orgId) => onSignedIn(s, `/${orgId}`)} />;
  }

  if (!session) return null;
  const state: SessionState = { session, setSession, refresh };
  const orgId = 'org' in route ? route.org : null;
  const member = orgId ? session.organizations.find((o) => o.organization_id === orgId) : undefined;

  let page: ReactNode;
  const lostName = orgId ? knownOrgs.current.get(orgId) : undefined;
  if (orgId && !member && lostName !== undefined) page = <NoLongerMemberPage name={lostName} />;
  else if (orgId && !member && session.organizations.length === 0) page = <NoOrganizationPage />;
  else if (orgId && !member) page = <NotFoundPage what="organization" />;
  else if (route.name === 'home') page = session.organizations.length ? null : <NoOrganizationPage />;
  else if (route.name === 'apps') page = <AppsPage />;
  else if (route.name === 'not-found') page = <NotFoundPage what="page" />;
  else if (member) {
    const org = member;
    switch (route.name) {
      case 'overview':
        page = <OverviewPage org={org} />;
        break;
      case 'events':
        page = <EventsPage org={org} />;
        break;
      case 'topics':
        page = <TopicsPage org={org} />;
        break;
      case 'people':
        page = <PeoplePage org={org} />;
        break;
      case 'person':
        page = <PersonPage key={route.hem} org={org} hem={route.hem} />;
        break;
      case 'people-import':
        page = <ImportPeoplePage org={org} />;
        break;
      case 'projects':
        page = <ProjectsPage org={org} />;
        break;
      case 'members':
        page = <MembersPage org={org} />;
        break;
      case 'api-keys':
        page = <ApiKeysPage org={org} />;
        break;
      case 'pixels':
        page = <PixelsPage org={org} projectId={route.project} />;
        break;
      case 'audiences':
        page = <AudiencesPage org={org} />;
        break;
      case 'audience-new':
        page = <NewAudiencePage key={route.project} org={org} projectId={route.project} />;
        break;
      case 'audience':
        page = <AudiencePage key={route.audience} org={org} projectId={route.project} audienceId={route.audience} />;
        break;
    }
  }

  return (
    <SessionContext.Provider value={state}>
      <Layout orgId={member ? member.organization_id : null}>{page}</Layout>
    </SessionContext.Provider>
  );
}

/** Only same-site paths: a crafted ?next= must not send people to another site. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
