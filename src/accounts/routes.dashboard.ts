// Dashboard accounts: self-service sign-up (open sign-up, or the first user of a fresh install) and
// password reset by emailed link.
import { type App, errorResponses } from '../platform/http.js';
import { Ok } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { signIn } from '../sessions/cookie.js';
import { SessionOut } from '../sessions/schemas.js';
import { ForgotBody, ForgotOut, RegisterBody, ResetBody, SignupStatusOut } from './schemas.js';

const tags = ['Dashboard session API'];

export function accountsDashboardRoutes(app: App, deps: Pick<Services, 'accounts' | 'sessions' | 'organizations' | 'config'>): void {
  const { accounts } = deps;

  app.get(
    '/signup',
    { schema: { tags, summary: 'Whether self-service sign-up is open', response: { 200: SignupStatusOut } } },
    async () => ({ open: await accounts.signupOpen() }),
  );

  app.post(
    '/signup',
    {
      schema: {
        tags,
        summary: 'Sign up (open sign-up, or the first user of a fresh install)',
        body: RegisterBody,
        response: { 201: SessionOut, ...errorResponses(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const { user } = await accounts.register(req.body);
      return reply.status(201).send(await signIn(deps, reply, user));
    },
  );

  app.post(
    '/password/forgot',
    { schema: { tags, summary: 'Email a password reset link', body: ForgotBody, response: { 202: ForgotOut, ...errorResponses(400) } } },
    async (req, reply) => {
      await accounts.requestPasswordReset(req.body.email);
      return reply.status(202).send({ message: 'If this email has an account, a reset link is on its way.' });
    },
  );

  app.post(
    '/password/reset',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset link token (signs out every session)',
        body: ResetBody,
        response: { 200: Ok, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      await accounts.resetPassword(req.body.token, req.body.password);
      return { ok: true };
    },
  );
}
