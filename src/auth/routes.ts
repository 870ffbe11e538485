// Token endpoints of the seeds: data-API login and registration (legacy user JWT) and the Partner
// API's platform token. Bodies and errors as authentication-v1/v2 and spec section 1 give them.
import { Type } from 'typebox';
import { PASSWORD_MAX } from '../accounts/service.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';

const Credentials = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
});

const RegisterBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  first_name: Type.String({ minLength: 1, maxLength: 200 }),
  last_name: Type.String({ minLength: 1, maxLength: 200 }),
  organization_name: Type.String({ minLength: 1, maxLength: 200 }),
});

export function authRoutes(app: App, s: Services): void {
  app.post(
    '/auth/v1/login',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Log in and get a data-API JWT (legacy)',
        body: Credentials,
        response: {
          200: Type.Object({ user_id: Type.String(), organization_id: Type.String(), token: Type.String() }),
          ...errorResponses(400, 401, 404, 429),
        },
      },
    },
    async (req) => {
      const { user, organizations } = await s.accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      const organizationId = organizations[0]?.id ?? '';
      const token = await s.tokens.sign('data', { userId: user.id, organizationId: organizationId || undefined });
      return { user_id: user.id, organization_id: organizationId, token };
    },
  );

  for (const path of ['/auth/v1/register', '/data/core/v1/auth/register']) {
    app.post(
      path,
      {
        schema: {
          tags: ['Authentication'],
          summary: 'Register a user and organization (open sign-up, or the first user of a fresh install)',
          body: RegisterBody,
          response: {
            201: Type.Object({ message: Type.String(), user_id: Type.String(), organization_id: Type.String() }),
            ...errorResponses(400, 403, 409),
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const { user, organization } = await s.accounts.register({
          email: b.email,
          password: b.password,
          firstName: b.first_name,
          lastName: b.last_name,
          organizationName: b.organization_name,
        });
        return reply.status(201).send({ message: 'Successfully registered.', user_id: user.id, organization_id: organization.id });
      },
    );
  }

  app.post(
    '/public/core/auth/issue',
    {
      schema: {
        tags: ['Partner API'],
        summary: 'Issue a platform JWT for the Partner API',
        body: Credentials,
        response: {
          200: Type.Object({ response: Type.Object({ user_id: Type.String(), token: Type.String() }) }),
          ...errorResponses(400, 401, 404, 429),
        },
      },
    },
    async (req) => {
      const { user } = await s.accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      return { response: { user_id: user.id, token: await s.tokens.sign('platform', { userId: user.id }) } };
    },
  );
}
