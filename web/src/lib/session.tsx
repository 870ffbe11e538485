// The signed-in person, their organizations and the CSRF token, shared by every page.
import { createContext, useContext } from 'react';
import type { OrganizationRef, Session } from './types';

export interface SessionState {
  session: Session;
  /** Replaces the session after sign-in, invite acceptance or an organization change. */
  setSession: (s: Session | null) => void;
  refresh: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export function useOrganization(orgId: string): OrganizationRef | undefined {
  return useSession().session.organizations.find((o) => o.organization_id === orgId);
}
