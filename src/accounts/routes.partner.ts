// The Partner API's token endpoint: a platform JWT for email + password.
import { type App, errorResponses, noStore } from '../platform/http.js';
import type { Services } from '../services.js';
import { Credentials, PlatformTokenOut } from './schemas.js';

export function accountsPartnerRoutes(app: App, { accounts, tokens }: Pick<Services, 'accounts' | 'tokens'>): void {
  app.post(
    '/auth/issue',
    {
      schema: {
        tags: ['Partner API'],
        summary: 'Issue a platform JWT for the Partner API',
        body: Credentials,
        response: { 200: PlatformTokenOut, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req, reply) => {
      const { user } = await accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      const token = await tokens.sign('platform', { userId: user.id, credentialsVersion: user.credentials_version });
      noStore(reply);
      return { response: { user_id: user.id, token } };
    },
  );
}
