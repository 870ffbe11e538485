// The partner host's taxonomy-core endpoint (spec 2.7): the requested custom topics of the caller's
// organizations with their review status, as third-party clients poll it. Platform JWT + app
// credentials, like the rest of /public/core; the `organization_id` header narrows it to one.
import { Type } from 'typebox';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import { RequestStatusField, wrap } from './schemas.js';

/** Most requests one call returns per organization; older ones are left out. */
const MAX_TOPICS = 1000;

export function taxonomyPartnerRoutes(
  app: App,
  { auth, members, organizations, taxonomy }: Pick<Services, 'auth' | 'members' | 'organizations' | 'taxonomy'>,
): void {
  app.get(
    '/api/intent/topic/get',
    {
      schema: {
        tags: ['Partner API'],
        summary: "Requested custom topics of the caller's organizations (or of the organization_id header) and their status",
        security: [{ bearerAuth: [], clientId: [], clientSecret: [] }],
        response: {
          200: wrap({
            topics: Type.Array(
              Type.Object({ topic_id: Type.String(), name: Type.String(), status: RequestStatusField, organization_id: Type.String() }),
            ),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const wanted = headerValue(req, 'organization_id');
      let orgIds: string[];
      if (wanted !== undefined) {
        await members.role(wanted, user.id);
        orgIds = [wanted];
      } else {
        orgIds = (await organizations.listForUser(user.id)).map((o) => o.id);
      }
      const topics = [];
      for (const orgId of orgIds) {
        const rows = await taxonomy.listTopicRequests(orgId, {}, { limit: MAX_TOPICS, offset: 0 });
        topics.push(...rows.map((r) => ({ topic_id: r.topic_id, name: r.name, status: r.status, organization_id: orgId })));
      }
      return { response: { topics } };
    },
  );
}
