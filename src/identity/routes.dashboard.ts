// Identity in the dashboard (session API): the People list, a Person page (profile, visitor links,
// event timeline), and undoing a link or erasing a person. Every member may look; unlinking and
// erasing change what the organization's data says about a person, so they need an owner or admin
// (keys.manage), like the API keys that can do the same through the data API.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { peoplePage, personPage } from './people.js';
import { DashboardPeopleOut, DashboardPeopleQuery, DashboardPersonOut, ErasedOut, TimelineQuery, UnlinkedOut } from './schemas.js';
import { erasedView, unlinkedView } from './views.js';

const tags = ['Dashboard session API'];
const read = [{ sessionCookie: [] }];
const write = [{ sessionCookie: [], csrfToken: [] }];
const Hem = Type.String({ minLength: 1, maxLength: 200, description: 'SHA-256 HEM, 64 hexadecimal characters' });
const OrgParams = Type.Object({ org_id: Id });
const PersonParams = Type.Object({ org_id: Id, hem_sha256: Hem });
const LinkParams = Type.Object({ org_id: Id, hem_sha256: Hem, visitor_id: Type.String({ minLength: 1, maxLength: 200 }) });

export function identityDashboardRoutes(
  app: App,
  { auth, identity, events, now }: Pick<Services, 'auth' | 'identity' | 'events' | 'now'>,
): void {
  app.get(
    '/orgs/:org_id/people',
    {
      schema: {
        tags,
        summary: 'Identified people, most recently seen first: name, company, title, visitors and events',
        security: read,
        params: OrgParams,
        querystring: DashboardPeopleQuery,
        response: { 200: DashboardPeopleOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const page = { limit: req.query.limit ?? 25, offset: req.query.offset ?? 0 };
      return peoplePage({ identity, events }, req.params.org_id, page, now());
    },
  );

  app.get(
    '/orgs/:org_id/people/:hem_sha256',
    {
      schema: {
        tags,
        summary: "A person: profile fields by group, linked visitors with each link's source, and their events newest first",
        security: read,
        params: PersonParams,
        querystring: TimelineQuery,
        response: { 200: DashboardPersonOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const timeline = { limit: req.query.limit ?? 50, page: req.query.page ?? 0 };
      return personPage({ identity, events }, req.params.org_id, req.params.hem_sha256, timeline, now());
    },
  );

  app.delete(
    '/orgs/:org_id/people/:hem_sha256/links/:visitor_id',
    {
      schema: {
        tags,
        summary: "Unlink one visitor from a person: that visitor's events are unresolved again",
        security: write,
        params: LinkParams,
        response: { 200: UnlinkedOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      return unlinkedView(await identity.unlink(req.params.org_id, req.params.hem_sha256, req.params.visitor_id));
    },
  );

  app.delete(
    '/orgs/:org_id/people/:hem_sha256',
    {
      schema: {
        tags,
        summary: 'Erase a person: their profile, their visitor links and their HEM on every stored event',
        security: write,
        params: PersonParams,
        response: { 200: ErasedOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      return erasedView(await identity.erase(req.params.org_id, { hem: req.params.hem_sha256 }));
    },
  );
}
