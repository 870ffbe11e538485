// Identity on the data API (key + secret): lookup by hashed email or email (spec section 9), a person
// with the visitors linked to them, undoing one link, and erasing a person.
import { fail } from '../platform/errors.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { ErasedOut, EraseQuery, IdentityRecord, LinkParams, LookupQuery, PersonOut, PersonParams, UnlinkedOut } from './schemas.js';
import { IdentityService } from './service.js';
import { erasedView, personView, unlinkedView } from './views.js';

const tags = ['Identity'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];

// Reads run under the query gate (analytics/query-gate.ts): a deadline and the organization's share.
export function identityDataRoutes(app: App, { auth, identity, queries }: Pick<Services, 'auth' | 'identity' | 'queries'>): void {
  app.get(
    '/api/v1/lookup',
    {
      schema: {
        tags,
        summary: 'Resolve one identity by hem (SHA-256 or MD5) or email: one flat record',
        security,
        querystring: LookupQuery,
        response: { 200: IdentityRecord, ...errorResponses(400, 401, 403, 404, 429, 501, 503) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return queries.run(who.organizationId, req.signal, () => identity.lookup(who.organizationId, req.query));
    },
  );

  app.get(
    '/api/v1/identities/:hem_sha256',
    {
      schema: {
        tags,
        summary: 'A person: their profile and the visitors linked to them, with the source of each link',
        security,
        params: PersonParams,
        response: { 200: PersonOut, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const { profile, links } = await queries.run(who.organizationId, req.signal, () =>
        identity.person(who.organizationId, req.params.hem_sha256),
      );
      return personView(IdentityService.sha256Param(req.params.hem_sha256), profile, links, (p) => identity.record(p));
    },
  );

  app.delete(
    '/api/v1/identities/:hem_sha256/links/:visitor_id',
    {
      schema: {
        tags,
        summary: "Remove one visitor's link to a person: that visitor's events are unresolved again",
        security,
        params: LinkParams,
        response: { 200: UnlinkedOut, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return unlinkedView(await identity.unlink(who.organizationId, req.params.hem_sha256, req.params.visitor_id));
    },
  );

  app.delete(
    '/api/v1/identities/:hem_sha256',
    {
      schema: {
        tags,
        summary: 'Erase a person: profile, links and the HEM on every stored event',
        security,
        params: PersonParams,
        response: { 200: ErasedOut, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return erasedView(await identity.erase(who.organizationId, { hem: req.params.hem_sha256 }));
    },
  );

  app.delete(
    '/api/v1/identities',
    {
      schema: {
        tags,
        summary: 'Erase a person by ?email= (normalised and hashed for you): profile, links and the HEM on every stored event',
        security,
        querystring: EraseQuery,
        response: { 200: ErasedOut, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      if (!req.query.email) throw fail('invalid_parameters', 'email is required (or erase by /api/v1/identities/{hem_sha256})');
      return erasedView(await identity.erase(who.organizationId, { email: req.query.email }));
    },
  );
}
