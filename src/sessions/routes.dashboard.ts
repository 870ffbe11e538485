// Dashboard sessions: sign in with a password (sets the session cookie), who is signed in, sign out.
import { type App, errorResponses, noStore } from '../platform/http.js';
import { Ok } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { signIn, signOut } from './cookie.js';
import { SessionOut, SignInBody } from './schemas.js';
import { sessionView } from './views.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];

export function sessionsDashboardRoutes(
  app: App,
  deps: Pick<Services, 'auth' | 'accounts' | 'sessions' | 'organizations' | 'config'>,
): void {
  const { auth, accounts, sessions, organizations } = deps;

  app.post(
    '/session',
    {
      schema: {
        tags,
        summary: 'Sign in (sets the session cookie)',
        body: SignInBody,
        response: { 200: SessionOut, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req, reply) => {
      const { user } = await accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      return signIn(deps, reply, user);
    },
  );

  app.get(
    '/session',
    {
      schema: {
        tags,
        summary: 'The signed-in user, organizations and CSRF token',
        security: [{ sessionCookie: [] }],
        response: { 200: SessionOut, ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      const who = await auth.session(req);
      noStore(reply);
      return sessionView(who.user, await organizations.listForUser(who.user.id), who.csrfToken);
    },
  );

  app.delete(
    '/session',
    { schema: { tags, summary: 'Sign out', security, response: { 200: Ok, ...errorResponses(401, 403) } } },
    async (req, reply) => {
      const who = await auth.session(req);
      await sessions.end(who.sessionId);
      signOut(reply);
      return { ok: true };
    },
  );
}
