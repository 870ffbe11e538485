// Operator API: re-send a pending invitation (for example the first owner's) with a fresh link.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { AdminInviteOut, ResendBody } from './schemas.js';
import { adminInviteView } from './views.js';

export function membersAdminRoutes(app: App, { members }: Pick<Services, 'members'>): void {
  app.post(
    '/organizations/:organization_id/invites/resend',
    {
      schema: {
        tags: ['Operator'],
        summary: 'Re-send a pending invitation with a fresh link',
        security: [{ adminToken: [] }],
        params: Type.Object({ organization_id: Type.String({ maxLength: 100 }) }),
        body: ResendBody,
        response: { 200: Type.Object({ invite: AdminInviteOut }), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => {
      const invite = await members.resendInvite({ organizationId: req.params.organization_id, email: req.body.email, actor: null });
      return { invite: adminInviteView(invite) };
    },
  );
}
