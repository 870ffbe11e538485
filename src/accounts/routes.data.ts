// Data-API accounts (legacy user JWT): log in, and register a user with an organization. Bodies and
// errors as authentication-v1/v2 and spec section 1 give them; with LOGIN_HIDE_UNKNOWN_USERS=true
// registration answers 202 for every address and the emailed link finishes it.
import { type App, errorResponses, noStore } from '../platform/http.js';
import type { Services } from '../services.js';
import { Credentials, LoginOut, RegisterBody, RegisterOut, SignupPendingOut } from './schemas.js';
import { SIGNUP_PENDING_MESSAGE } from './service.js';

const tags = ['Authentication'];

export function accountsDataRoutes(app: App, { accounts, tokens }: Pick<Services, 'accounts' | 'tokens'>): void {
  app.post(
    '/auth/v1/login',
    {
      schema: {
        tags,
        summary: 'Log in and get a data-API JWT (legacy)',
        body: Credentials,
        response: { 200: LoginOut, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req, reply) => {
      const { user, organizations } = await accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      const organizationId = organizations[0]?.id ?? '';
      const token = await tokens.sign('data', {
        userId: user.id,
        organizationId: organizationId || undefined,
        credentialsVersion: user.credentials_version,
      });
      noStore(reply);
      return { user_id: user.id, organization_id: organizationId, token };
    },
  );

  for (const path of ['/auth/v1/register', '/data/core/v1/auth/register']) {
    app.post(
      path,
      {
        schema: {
          tags,
          summary: 'Register a user and organization (open sign-up, or the first user of a fresh install)',
          description:
            'With LOGIN_HIDE_UNKNOWN_USERS=true the answer is 202 for every address, and the account is made from the emailed link.',
          body: RegisterBody,
          response: { 201: RegisterOut, 202: SignupPendingOut, ...errorResponses(400, 403, 409, 429) },
        },
      },
      async (req, reply) => {
        const done = await accounts.register(req.body, req.ip);
        if (done.kind === 'pending') return reply.status(202).send({ message: SIGNUP_PENDING_MESSAGE });
        return reply
          .status(201)
          .send({ message: 'Successfully registered.', user_id: done.user.id, organization_id: done.organization.id });
      },
    );
  }
}
