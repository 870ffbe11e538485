// Dashboard accounts: self-service sign-up (open sign-up, or the first user of a fresh install; with
// LOGIN_HIDE_UNKNOWN_USERS=true finished from an emailed link) and password reset by emailed link.
import { type App, errorResponses } from '../platform/http.js';
import { Ok } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { signIn } from '../sessions/cookie.js';
import { SessionOut } from '../sessions/schemas.js';
import { ForgotBody, ForgotOut, RegisterBody, ResetBody, SignupConfirmBody, SignupPendingOut, SignupStatusOut } from './schemas.js';
import { SIGNUP_PENDING_MESSAGE } from './service.js';

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
        description:
          'Signs the new person in (201). With LOGIN_HIDE_UNKNOWN_USERS=true the answer is 202 for every address, and the emailed link finishes the sign-up (POST /dashboard/api/signup/confirm).',
        body: RegisterBody,
        response: { 201: SessionOut, 202: SignupPendingOut, ...errorResponses(400, 403, 409, 429) },
      },
    },
    async (req, reply) => {
      const done = await accounts.register(req.body, req.ip);
      if (done.kind === 'pending') return reply.status(202).send({ message: SIGNUP_PENDING_MESSAGE });
      return reply.status(201).send(await signIn(deps, reply, done.user));
    },
  );

  app.post(
    '/signup/confirm',
    {
      schema: {
        tags,
        summary: 'Finish a sign-up from its emailed link and sign in',
        body: SignupConfirmBody,
        response: { 201: SessionOut, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { user } = await accounts.confirmSignup(req.body.token);
      return reply.status(201).send(await signIn(deps, reply, user));
    },
  );

  app.post(
    '/password/forgot',
    {
      schema: {
        tags,
        summary: 'Email a password reset link',
        body: ForgotBody,
        response: { 202: ForgotOut, ...errorResponses(400, 429) },
      },
    },
    async (req, reply) => {
      await accounts.requestPasswordReset(req.body.email, req.ip);
      return reply.status(202).send({ message: 'If this email has an account, a reset link is on its way.' });
    },
  );

  app.post(
    '/password/reset',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset link token (ends every session, token and other reset link)',
        body: ResetBody,
        response: { 200: Ok, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      await accounts.resetPassword(req.body.token, req.body.password, req.ip);
      return { ok: true };
    },
  );
}
