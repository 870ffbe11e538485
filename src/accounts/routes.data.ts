// Data-API accounts (legacy user JWT): log in, and register a user with an organization. Bodies and
// errors as authentication-v1/v2 and spec section 1 give them.
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { Credentials, LoginOut, RegisterBody, RegisterOut } from './schemas.js';

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
    async (req) => {
      const { user, organizations } = await accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      const organizationId = organizations[0]?.id ?? '';
      const token = await tokens.sign('data', { userId: user.id, organizationId: organizationId || undefined });
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
          body: RegisterBody,
          response: { 201: RegisterOut, ...errorResponses(400, 403, 409) },
        },
      },
      async (req, reply) => {
        const { user, organization } = await accounts.register(req.body);
        return reply.status(201).send({ message: 'Successfully registered.', user_id: user.id, organization_id: organization.id });
      },
    );
  }
}
