// A signed-in person → the session body every sign-in path returns.
import type { User } from '../accounts/store.js';
import type { UserOrganization } from '../organizations/store.js';
import type { Session } from './schemas.js';

export const sessionView = (user: User, organizations: UserOrganization[], csrfToken: string): Session => ({
  user: { user_id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name },
  organizations: organizations.map((o) => ({ organization_id: o.id, name: o.name, role: o.role })),
  csrf_token: csrfToken,
});
