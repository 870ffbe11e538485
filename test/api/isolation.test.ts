// Acceptance: tenant isolation and roles. Organization B, holding every kind of credential (session,
// API key + secret, data-API JWT, platform JWT + app), calls every route of the app naming
// organization A's objects: each answer is 403 or 404 and carries none of A's ids, names or emails,
// and A's objects are unchanged afterwards. The route list comes from the app itself, so a new route
// fails the coverage test until a case is added here. Then: what members and admins may not do,
// the last owner, and a removed member losing access at once.
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { appRoutes } from '../support/routes.js';
import {
  addMember,
  createApp,
  createKey,
  dash,
  dataToken,
  json,
  newTenant,
  partnerHeaders,
  platformToken,
  sessionFrom,
  type Tenant,
} from '../support/tenant.js';

type Res = LightMyRequestResponse;
type Headers = Record<string, string>;

interface Victim {
  owner: Tenant;
  member: Tenant;
  orgName: string;
  key: { keyId: string; apiKey: string; apiSecret: string };
  client: { clientId: string; apiKey: string; apiSecret: string };
  app: { appId: string; clientId: string };
  projectId: string;
  pixelId: string;
  inviteId: string;
  /** A person A identified (a profile and a visitor link), at a company of A's. */
  person: { email: string; hem: string; visitorId: string; companyDomain: string };
  /** A's custom topic requests: one accepted (its topic exists, for A only) and one still waiting. */
  acceptedRequestId: string;
  customTopicId: string;
  waitingRequestId: string;
  waitingTopicId: string;
  /** An identity import of A's (a CSV naming `imported`). */
  importId: string;
  /** An audience of A's project, computed once. */
  audienceId: number;
  /** Every id, name and email of A's that must never reach B. */
  secrets: string[];
}

interface Attacker {
  tenant: Tenant;
  key: { apiKey: string; apiSecret: string };
  jwt: string;
  partner: Headers;
  platformJwt: string;
}

interface Ctx {
  a: Victim;
  b: Attacker;
  range: string;
  /** B's requests, one per credential kind. */
  dash(method: string, url: string, payload?: unknown): Promise<Res>;
  key(url: string, headers?: Headers): Promise<Res>;
  keyDelete(url: string): Promise<Res>;
  keyPost(url: string, headers: Headers, payload: string): Promise<Res>;
  jwt(method: string, url: string, headers?: Headers, payload?: unknown): Promise<Res>;
  partner(method: string, url: string, headers?: Headers, payload?: unknown): Promise<Res>;
  anon(method: string, url: string, headers?: Headers, payload?: unknown): Promise<Res>;
}

type Probes = (c: Ctx) => Promise<Res>[];

/**
 * How a route is checked. `foreign`: B names A's objects; every answer is one of `status`
 * (default 403/404). `caller`: the route acts only on the caller (nothing of another tenant can be
 * named); B's answers carry nothing of A's. `public`: no tenant data by design, with the reason; the
 * probes (if any) still must carry nothing of A's.
 */
type Case = { foreign: Probes; own?: Probes; status?: number[] } | { caller: Probes } | { public: string; probes?: Probes };

const D = '/dashboard/api';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const orgs = (org: string, rest = '') => `${D}/orgs/${org}${rest}`;
/** A word only A's custom topic and topic requests contain. */
const TOPIC_WORD = 'zyxalphaquantum';

const CASES: Record<string, Case> = {
  // Operations and documentation: no tenant data.
  'GET /healthz': { public: 'liveness', probes: (c) => [c.anon('GET', '/healthz')] },
  'GET /readyz': { public: 'readiness', probes: (c) => [c.anon('GET', '/readyz')] },
  'GET /metrics': { public: 'process metrics without tenant labels', probes: (c) => [c.anon('GET', '/metrics')] },
  'GET /openapi.json': { public: 'the API description', probes: (c) => [c.anon('GET', '/openapi.json')] },
  'GET /docs': { public: 'Swagger UI' },
  'GET /docs/': { public: 'Swagger UI' },
  'GET /docs/json': { public: 'the API description', probes: (c) => [c.anon('GET', '/docs/json')] },
  'GET /docs/yaml': { public: 'the API description', probes: (c) => [c.anon('GET', '/docs/yaml')] },
  'GET /docs/static/index.html': { public: 'Swagger UI' },
  'GET /docs/static/swagger-initializer.js': { public: 'Swagger UI' },
  'GET /docs/static/*': { public: 'Swagger UI static files' },

  // The dashboard's web app: the same static files for everyone; data comes from /dashboard/api.
  'GET /': { public: 'the web app shell', probes: (c) => [c.dash('GET', '/')] },
  'GET /*': { public: 'the web app shell and its assets', probes: (c) => [c.dash('GET', `/${c.a.owner.orgId}/settings/api-keys`)] },

  // Credential exchange: the caller's own email and password.
  'POST /auth/v1/login': { public: 'exchanges the caller’s own password for a token' },
  'POST /auth/v1/register': { public: 'sign-up (closed here) creates a new organization' },
  'POST /data/core/v1/auth/register': { public: 'sign-up (closed here) creates a new organization' },
  'POST /public/core/auth/issue': { public: 'exchanges the caller’s own password for a token' },
  'POST /dashboard/api/session': { public: 'exchanges the caller’s own password for a session' },
  'GET /dashboard/api/signup': { public: 'whether sign-up is open' },
  'POST /dashboard/api/signup': { public: 'sign-up (closed here) creates a new organization' },
  'POST /dashboard/api/invites/preview': {
    public: 'the emailed token is the credential',
    probes: (c) => [c.dash('POST', `${D}/invites/preview`, { token: c.a.inviteId })],
  },
  'POST /dashboard/api/invites/accept': {
    public: 'the emailed token is the credential',
    probes: (c) => [c.dash('POST', `${D}/invites/accept`, { token: c.a.inviteId, password: 'whatever-password' })],
  },
  'POST /dashboard/api/password/forgot': { public: 'answers the same for every email' },
  'POST /dashboard/api/password/reset': { public: 'the emailed token is the credential' },
  'POST /dashboard/api/signup/confirm': {
    public: 'the emailed token is the credential',
    probes: (c) => [c.dash('POST', `${D}/signup/confirm`, { token: c.a.inviteId })],
  },

  // Pixel ingest and script: public by design; an event naming A's pixel under B's organization is refused.
  'OPTIONS /pixel/core/api/*': { public: 'CORS preflight' },
  'GET /pixels/:pixel_id/p.js': { public: 'the pixel script is embedded in public web pages' },
  'POST /pixel/core/api/send-event': {
    foreign: (c) => [
      c.anon(
        'POST',
        '/pixel/core/api/send-event',
        {},
        { event_type: 'page_view', pixel_id: c.a.pixelId, organization_id: c.b.tenant.orgId },
      ),
    ],
    status: [404],
  },
  'GET /pixel/core/api/send-event/get': {
    foreign: (c) => [
      c.anon(
        'GET',
        `/pixel/core/api/send-event/get?event_type=x&event_data=%7B%7D&event_url=https%3A%2F%2Fb.example%2F&pixel_id=${c.a.pixelId}&organization_id=${c.b.tenant.orgId}`,
      ),
    ],
    status: [404],
  },
  'GET /pixel/core/api/sync': { public: 'cookie sync holds no tenant data' },

  // Operator API: B's credentials are not the operator's.
  'GET /admin/v1/organizations': {
    foreign: (c) => [
      c.dash('GET', '/admin/v1/organizations'),
      c.jwt('GET', '/admin/v1/organizations'),
      c.anon('GET', '/admin/v1/organizations', { authorization: `Bearer ${c.b.platformJwt}` }),
      c.anon('GET', '/admin/v1/organizations', { authorization: `Bearer ${c.b.key.apiKey}` }),
    ],
    status: [401],
  },
  'POST /admin/v1/organizations': {
    foreign: (c) => [
      c.jwt('POST', '/admin/v1/organizations', {}, { name: 'x', owner_email: c.a.owner.email }),
      c.dash('POST', '/admin/v1/organizations', { name: 'x', owner_email: c.a.owner.email }),
    ],
    status: [401],
  },
  'POST /admin/v1/organizations/:organization_id/demo': {
    foreign: (c) => [
      c.jwt('POST', `/admin/v1/organizations/${c.a.owner.orgId}/demo`, {}, { people: 10, days: 7 }),
      c.dash('POST', `/admin/v1/organizations/${c.a.owner.orgId}/demo`, { people: 10, days: 7 }),
    ],
    status: [401],
  },
  'GET /dashboard/api/orgs/:org_id/intent/surging-topics': {
    foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/intent/surging-topics?window_days=7'))],
  },
  'GET /dashboard/api/orgs/:org_id/field-catalog': {
    foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/field-catalog'))],
  },
  'POST /dashboard/api/orgs/:org_id/demo': {
    foreign: (c) => [c.dash('POST', orgs(c.a.owner.orgId, '/demo'), { people: 10, days: 7 })],
  },
  'POST /admin/v1/organizations/:organization_id/invites/resend': {
    foreign: (c) => [
      c.jwt('POST', `/admin/v1/organizations/${c.a.owner.orgId}/invites/resend`, {}, { email: `invitee-${c.a.inviteId}@example.com` }),
      c.dash('POST', `/admin/v1/organizations/${c.a.owner.orgId}/invites/resend`, { email: c.a.member.email }),
    ],
    status: [401],
  },

  // Data API.
  'GET /api/v1/events_schema': {
    foreign: (c) => [c.jwt('GET', '/api/v1/events_schema', { 'x-organization-id': c.a.owner.orgId })],
    own: (c) => [c.key('/api/v1/events_schema')],
  },
  'GET /api/v2/events_schema': {
    foreign: (c) => [c.jwt('GET', '/api/v2/events_schema?source=pixel', { 'x-organization-id': c.a.owner.orgId })],
    own: (c) => [c.key('/api/v2/events_schema?source=pixel')],
  },
  'GET /api/v1/events': { foreign: (c) => eventsProbes(c, '/api/v1/events', true) },
  'GET /api/v1/event_counts': { foreign: (c) => eventsProbes(c, '/api/v1/event_counts', true) },
  'GET /api/v2/events': { foreign: (c) => eventsProbes(c, '/api/v2/events', false) },
  'GET /api/v2/event_counts': { foreign: (c) => eventsProbes(c, '/api/v2/event_counts', false) },
  'GET /api/v2/events/export': { foreign: (c) => eventsProbes(c, '/api/v2/events/export', false) },
  'GET /api/v1/stats/aggregate': {
    foreign: (c) => statsProbes(c, '/api/v1/stats/aggregate?period=7d&metrics=visitors,identified_visitors'),
  },
  'GET /api/v1/stats/timeseries': { foreign: (c) => statsProbes(c, '/api/v1/stats/timeseries?period=7d') },
  'GET /api/v1/stats/breakdown': { foreign: (c) => statsProbes(c, '/api/v1/stats/breakdown?period=7d&property=page') },
  'GET /api/v1/stats/realtime/visitors': { foreign: (c) => statsProbes(c, '/api/v1/stats/realtime/visitors?x=1') },
  // Identity: A's person, named by its hem, email or visitor, is not found from B.
  'GET /api/v1/lookup': {
    foreign: (c) => [
      c.key(`/api/v1/lookup?hem=${c.a.person.hem}`),
      c.key(`/api/v1/lookup?email=${encodeURIComponent(c.a.person.email)}`),
      c.jwt('GET', `/api/v1/lookup?hem=${c.a.person.hem}`),
      c.jwt('GET', `/api/v1/lookup?hem=${c.a.person.hem}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },
  'GET /api/v1/identities/:hem_sha256': {
    foreign: (c) => [
      c.key(`/api/v1/identities/${c.a.person.hem}`),
      c.jwt('GET', `/api/v1/identities/${c.a.person.hem}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },
  'DELETE /api/v1/identities/:hem_sha256/links/:visitor_id': {
    foreign: (c) => [
      c.jwt('DELETE', `/api/v1/identities/${c.a.person.hem}/links/${c.a.person.visitorId}`),
      c.jwt('DELETE', `/api/v1/identities/${c.a.person.hem}/links/${c.a.person.visitorId}`, { 'x-organization-id': c.a.owner.orgId }),
      c.keyDelete(`/api/v1/identities/${c.a.person.hem}/links/${c.a.person.visitorId}`),
    ],
  },
  'DELETE /api/v1/identities/:hem_sha256': {
    foreign: (c) => [c.keyDelete(`/api/v1/identities/${c.a.person.hem}`), c.jwt('DELETE', `/api/v1/identities/${c.a.person.hem}`)],
  },
  'DELETE /api/v1/identities': {
    foreign: (c) => [c.keyDelete(`/api/v1/identities?email=${encodeURIComponent(c.a.person.email)}`)],
  },
  'POST /api/v1/identities/import': {
    // The import goes to the key's (or the token's) organization; naming A's is refused.
    foreign: (c) => [
      c.keyPost('/api/v1/identities/import', { 'content-type': 'text/csv', 'x-organization-id': c.a.owner.orgId }, importCsv(c)),
      c.jwt('POST', '/api/v1/identities/import', { 'content-type': 'text/csv', 'x-organization-id': c.a.owner.orgId }, importCsv(c)),
    ],
    // B importing A's person's email writes B's own profile, never A's.
    own: (c) => [c.keyPost('/api/v1/identities/import', { 'content-type': 'text/csv' }, importCsv(c))],
  },
  'GET /api/v1/identities/imports/:import_id': {
    foreign: (c) => [
      c.key(`/api/v1/identities/imports/${c.a.importId}`),
      c.key(`/api/v1/identities/imports/${c.a.importId}`, { 'x-organization-id': c.a.owner.orgId }),
      c.jwt('GET', `/api/v1/identities/imports/${c.a.importId}`),
      c.jwt('GET', `/api/v1/identities/imports/${c.a.importId}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },
  'GET /api/v1/field-catalog': {
    public: 'the field catalog is the same for every organization',
    probes: (c) => [c.key('/api/v1/field-catalog?include_options=true')],
  },
  'GET /client/v1': {
    foreign: (c) => [c.jwt('GET', '/client/v1', { 'x-organization-id': c.a.owner.orgId })],
    own: (c) => [c.jwt('GET', '/client/v1')],
  },
  'POST /client/v1': {
    foreign: (c) => [c.jwt('POST', '/client/v1', { 'x-organization-id': c.a.owner.orgId }, { name: 'b-intruder' })],
    own: (c) => [c.jwt('POST', '/client/v1', {}, { name: 'b-own' })],
  },
  'DELETE /client/v1/:client_id': {
    foreign: (c) => [
      c.jwt('DELETE', `/client/v1/${c.a.client.clientId}`),
      c.jwt('DELETE', `/client/v1/${c.a.client.clientId}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },

  // Partner API.
  'GET /public/core/': { public: 'health' },
  'GET /public/core/health': { public: 'health' },
  'POST /public/core/api/app/create': { caller: (c) => [c.partner('POST', '/public/core/api/app/create', {}, { name: 'b-app' })] },
  'GET /public/core/api/app/retrieve/:app_id': {
    foreign: (c) => [c.partner('GET', `/public/core/api/app/retrieve/${c.a.app.appId}`)],
  },
  'POST /public/core/api/app/rotate/:app_id': {
    foreign: (c) => [
      c.partner('POST', `/public/core/api/app/rotate/${c.a.app.appId}`),
      c.anon('POST', `/public/core/api/app/rotate/${c.a.app.appId}`, { authorization: `Bearer ${c.b.platformJwt}` }),
    ],
  },
  'GET /public/core/api/organization/get': {
    caller: (c) => [
      c.partner('GET', '/public/core/api/organization/get'),
      c.anon('GET', '/public/core/api/organization/get', { authorization: `Bearer ${c.b.platformJwt}` }),
    ],
  },
  'POST /public/core/api/organization/create': {
    caller: (c) => [c.partner('POST', '/public/core/api/organization/create', { organization_id: c.a.owner.orgId }, { name: 'b-second' })],
  },
  'POST /public/core/api/project/create': {
    foreign: (c) => [
      c.partner('POST', '/public/core/api/project/create', { organization_id: c.a.owner.orgId }, { project: { name: 'b-intruder' } }),
    ],
  },
  'GET /public/core/api/project/get': {
    foreign: (c) => [
      c.partner('GET', '/public/core/api/project/get', { organization_id: c.a.owner.orgId }),
      // A's app credentials (say, leaked) with B's token: the app belongs to another person.
      c.anon('GET', '/public/core/api/project/get', {
        authorization: `Bearer ${c.b.platformJwt}`,
        'x-delivr-client-id': c.a.app.clientId,
        'x-delivr-client-secret': 'secret_0000',
      }),
    ],
    status: [401, 403, 404],
    own: (c) => [c.partner('GET', '/public/core/api/project/get')],
  },
  'POST /public/core/api/project/update': {
    foreign: (c) => [
      c.partner('POST', '/public/core/api/project/update', {}, { project_id: c.a.projectId, name: 'b-renamed', retention_days: 1 }),
      c.partner(
        'POST',
        '/public/core/api/project/update',
        { organization_id: c.a.owner.orgId },
        { project_id: c.a.projectId, retention_days: 1 },
      ),
    ],
  },
  'POST /public/core/api/project/archive': {
    foreign: (c) => [
      c.partner('POST', '/public/core/api/project/archive', {}, { project_id: c.a.projectId }),
      c.partner('POST', '/public/core/api/project/archive', { organization_id: c.a.owner.orgId }, { project_id: c.a.projectId }),
    ],
  },
  'POST /public/core/api/project/unarchive': {
    foreign: (c) => [
      c.partner('POST', '/public/core/api/project/unarchive', { organization_id: c.a.owner.orgId }, { project_id: c.a.projectId }),
    ],
  },
  'POST /public/core/api/pixel/create': {
    foreign: (c) => [c.partner('POST', '/public/core/api/pixel/create', { project_id: c.a.projectId }, { title: 'b-intruder' })],
  },
  'GET /public/core/api/pixel/get': {
    foreign: (c) => [
      c.partner('GET', '/public/core/api/pixel/get', { project_id: c.a.projectId }),
      c.partner('GET', `/public/core/api/pixel/get?pixel_id=${c.a.pixelId}`),
      c.partner('GET', '/public/core/api/pixel/get', { pixel_id: c.a.pixelId }),
    ],
  },
  'DELETE /public/core/api/pixel/delete': {
    foreign: (c) => [c.partner('DELETE', '/public/core/api/pixel/delete', { project_id: c.a.projectId }, { pixel_id: c.a.pixelId })],
  },

  // Taxonomy: the shared catalog is the same for everyone; custom topics and requests are A's alone.
  'GET /taxonomy/categories': { caller: (c) => [c.key('/taxonomy/categories?limit=1000'), c.jwt('GET', '/taxonomy/categories')] },
  'GET /taxonomy/categories/count': { caller: (c) => [c.key('/taxonomy/categories/count')] },
  'GET /taxonomy/categories/:category_id': { public: 'the shared IAB catalog' },
  'GET /taxonomy/subcategories': { caller: (c) => [c.key('/taxonomy/subcategories?limit=1000')] },
  'GET /taxonomy/subcategories/count': { caller: (c) => [c.key('/taxonomy/subcategories/count')] },
  'GET /taxonomy/subcategories/:subcategory_id': { public: 'the shared IAB catalog' },
  'GET /taxonomy/topics': {
    caller: (c) => [
      c.key(`/taxonomy/topics?search=${encodeURIComponent(TOPIC_WORD)}`),
      c.key('/taxonomy/topics?limit=1000&offset=1000'),
      c.jwt('GET', `/taxonomy/topics?search=${TOPIC_WORD}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },
  'GET /taxonomy/topics/count': { caller: (c) => [c.key(`/taxonomy/topics/count?search=${TOPIC_WORD}`)] },
  'GET /taxonomy/topics/:topic_id': {
    foreign: (c) => [
      c.key(`/taxonomy/topics/${c.a.customTopicId}`),
      c.jwt('GET', `/taxonomy/topics/${c.a.customTopicId}`),
      c.key(`/taxonomy/topics/${c.a.waitingTopicId}`),
    ],
    own: (c) => [c.key('/taxonomy/topics/iab_ct_620')],
  },
  // Intent: A's person and company (by hem, by domain, by A's custom topic) are not found from B.
  // A HEM is a natural key: B's import probe puts A's person in B's organization too, so B asking
  // about that HEM gets B's own (empty) intent; what must hold is that nothing of A's comes back.
  'GET /api/v1/intent': {
    foreign: (c) => [
      c.key(`/api/v1/intent?company_domain=${c.a.person.companyDomain}`),
      c.jwt('GET', `/api/v1/intent?hem=${c.a.person.hem}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
    own: (c) => [c.key(`/api/v1/intent?hem=${c.a.person.hem}`), c.jwt('GET', `/api/v1/intent?hem=${c.a.person.hem}`)],
  },
  'GET /api/v1/intent/explain': {
    foreign: (c) => [
      c.key(`/api/v1/intent/explain?hem=${c.a.person.hem}&topic_id=${c.a.customTopicId}`),
      c.key(`/api/v1/intent/explain?company_domain=${c.a.person.companyDomain}&topic_id=iab_ct_620`),
      c.jwt('GET', `/api/v1/intent/explain?hem=${c.a.person.hem}&topic_id=${c.a.customTopicId}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },
  'POST /taxonomy/topic-requests': {
    caller: (c) => [
      c.jwt('POST', '/taxonomy/topic-requests', { 'x-organization-id': c.b.tenant.orgId }, { name: 'b-topic', topic_type: 'B2B' }),
    ],
  },
  'GET /taxonomy/topic-requests': {
    caller: (c) => [c.key('/taxonomy/topic-requests?limit=1000'), c.jwt('GET', '/taxonomy/topic-requests')],
  },
  'GET /taxonomy/topic-requests/count': { caller: (c) => [c.key('/taxonomy/topic-requests/count')] },
  'GET /taxonomy/topic-requests/:topic_request_id': {
    foreign: (c) => [
      c.key(`/taxonomy/topic-requests/${c.a.acceptedRequestId}`),
      c.key(`/taxonomy/topic-requests/${c.a.waitingRequestId}`),
      c.jwt('GET', `/taxonomy/topic-requests/${c.a.waitingRequestId}`, { 'x-organization-id': c.a.owner.orgId }),
    ],
  },
  'PUT /taxonomy/topic-requests/:topic_request_id': {
    foreign: (c) => [
      c.jwt('PUT', `/taxonomy/topic-requests/${c.a.waitingRequestId}`, {}, { name: 'b-renamed' }),
      c.jwt('PUT', `/taxonomy/topic-requests/${c.a.acceptedRequestId}`, {}, { name: 'b-renamed' }),
    ],
  },
  'GET /taxonomy/topic-reviews/:topic_id': {
    foreign: (c) => [c.key(`/taxonomy/topic-reviews/${c.a.customTopicId}`), c.key(`/taxonomy/topic-reviews/${c.a.waitingTopicId}`)],
  },
  'GET /taxonomy/core/api/intent/topic/get': {
    foreign: (c) => [c.partner('GET', '/taxonomy/core/api/intent/topic/get', { organization_id: c.a.owner.orgId })],
    own: (c) => [c.partner('GET', '/taxonomy/core/api/intent/topic/get')],
  },
  'GET /admin/v1/topic-requests': {
    foreign: (c) => [
      c.jwt('GET', '/admin/v1/topic-requests'),
      c.anon('GET', '/admin/v1/topic-requests', { authorization: `Bearer ${c.b.key.apiKey}` }),
    ],
    status: [401],
  },
  'POST /admin/v1/topic-requests/:topic_request_id/accept': {
    foreign: (c) => [c.jwt('POST', `/admin/v1/topic-requests/${c.a.waitingRequestId}/accept`, {}, {})],
    status: [401],
  },
  'POST /admin/v1/topic-requests/:topic_request_id/reject': {
    foreign: (c) => [c.jwt('POST', `/admin/v1/topic-requests/${c.a.waitingRequestId}/reject`, {}, {})],
    status: [401],
  },

  // Dashboard.
  'GET /dashboard/api/session': { caller: (c) => [c.dash('GET', `${D}/session`)] },
  'DELETE /dashboard/api/session': { caller: (c) => [signOutFresh(c)] },
  'GET /dashboard/api/orgs/:org_id/members': { foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/members'))] },
  'POST /dashboard/api/orgs/:org_id/invites': {
    foreign: (c) => [c.dash('POST', orgs(c.a.owner.orgId, '/invites'), { email: `b-${randomUUID()}@example.com`, role: 'owner' })],
  },
  'POST /dashboard/api/orgs/:org_id/invites/:invite_id/resend': {
    foreign: (c) => [
      c.dash('POST', orgs(c.a.owner.orgId, `/invites/${c.a.inviteId}/resend`)),
      c.dash('POST', orgs(c.b.tenant.orgId, `/invites/${c.a.inviteId}/resend`)),
    ],
  },
  'DELETE /dashboard/api/orgs/:org_id/invites/:invite_id': {
    foreign: (c) => [
      c.dash('DELETE', orgs(c.a.owner.orgId, `/invites/${c.a.inviteId}`)),
      c.dash('DELETE', orgs(c.b.tenant.orgId, `/invites/${c.a.inviteId}`)),
    ],
  },
  'PATCH /dashboard/api/orgs/:org_id/members/:user_id': {
    foreign: (c) => [
      c.dash('PATCH', orgs(c.a.owner.orgId, `/members/${c.a.member.userId}`), { role: 'owner' }),
      c.dash('PATCH', orgs(c.a.owner.orgId, `/members/${c.b.tenant.userId}`), { role: 'owner' }),
      c.dash('PATCH', orgs(c.b.tenant.orgId, `/members/${c.a.owner.userId}`), { role: 'member' }),
    ],
  },
  'DELETE /dashboard/api/orgs/:org_id/members/:user_id': {
    foreign: (c) => [
      c.dash('DELETE', orgs(c.a.owner.orgId, `/members/${c.a.member.userId}`)),
      c.dash('DELETE', orgs(c.a.owner.orgId, `/members/${c.a.owner.userId}`)),
      c.dash('DELETE', orgs(c.b.tenant.orgId, `/members/${c.a.member.userId}`)),
    ],
  },
  'GET /dashboard/api/orgs/:org_id/api-keys': { foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/api-keys'))] },
  'POST /dashboard/api/orgs/:org_id/api-keys': {
    foreign: (c) => [c.dash('POST', orgs(c.a.owner.orgId, '/api-keys'), { name: 'b-intruder' })],
  },
  'POST /dashboard/api/orgs/:org_id/api-keys/:key_id/revoke': { foreign: (c) => keyProbes(c, 'POST', '/revoke') },
  'POST /dashboard/api/orgs/:org_id/api-keys/:key_id/rotate': { foreign: (c) => keyProbes(c, 'POST', '/rotate') },
  'GET /dashboard/api/orgs/:org_id/api-keys/:key_id/access-log': { foreign: (c) => keyProbes(c, 'GET', '/access-log') },
  'GET /dashboard/api/orgs/:org_id/api-key-settings': { foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/api-key-settings'))] },
  'PATCH /dashboard/api/orgs/:org_id/api-key-settings': {
    foreign: (c) => [c.dash('PATCH', orgs(c.a.owner.orgId, '/api-key-settings'), { secret_required: false })],
  },
  'GET /dashboard/api/orgs/:org_id/projects': { foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/projects'))] },
  'POST /dashboard/api/orgs/:org_id/projects': {
    foreign: (c) => [c.dash('POST', orgs(c.a.owner.orgId, '/projects'), { name: 'b-intruder' })],
  },
  'PATCH /dashboard/api/orgs/:org_id/projects/:project_id': {
    foreign: (c) => [
      c.dash('PATCH', orgs(c.a.owner.orgId, `/projects/${c.a.projectId}`), { name: 'b-renamed' }),
      c.dash('PATCH', orgs(c.b.tenant.orgId, `/projects/${c.a.projectId}`), { name: 'b-renamed' }),
      c.dash('PATCH', orgs(c.b.tenant.orgId, `/projects/${c.a.projectId}`), { retention_days: 1 }),
    ],
  },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/archive': {
    foreign: (c) => [
      c.dash('POST', orgs(c.a.owner.orgId, `/projects/${c.a.projectId}/archive`)),
      c.dash('POST', orgs(c.b.tenant.orgId, `/projects/${c.a.projectId}/archive`)),
    ],
  },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/unarchive': {
    foreign: (c) => [
      c.dash('POST', orgs(c.a.owner.orgId, `/projects/${c.a.projectId}/unarchive`)),
      c.dash('POST', orgs(c.b.tenant.orgId, `/projects/${c.a.projectId}/unarchive`)),
    ],
  },
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/pixels': {
    foreign: (c) => [
      c.dash('GET', orgs(c.a.owner.orgId, `/projects/${c.a.projectId}/pixels`)),
      c.dash('GET', orgs(c.b.tenant.orgId, `/projects/${c.a.projectId}/pixels`)),
    ],
  },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/pixels': {
    foreign: (c) => [
      c.dash('POST', orgs(c.a.owner.orgId, `/projects/${c.a.projectId}/pixels`), { title: 'b-intruder' }),
      c.dash('POST', orgs(c.b.tenant.orgId, `/projects/${c.a.projectId}/pixels`), { title: 'b-intruder' }),
    ],
  },
  'DELETE /dashboard/api/orgs/:org_id/pixels/:pixel_id': {
    foreign: (c) => [
      c.dash('DELETE', orgs(c.a.owner.orgId, `/pixels/${c.a.pixelId}`)),
      c.dash('DELETE', orgs(c.b.tenant.orgId, `/pixels/${c.a.pixelId}`)),
    ],
  },
  'PATCH /dashboard/api/orgs/:org_id/pixels/:pixel_id': {
    foreign: (c) => [
      c.dash('PATCH', orgs(c.a.owner.orgId, `/pixels/${c.a.pixelId}`), { title: 'b-renamed', trackers: [] }),
      c.dash('PATCH', orgs(c.b.tenant.orgId, `/pixels/${c.a.pixelId}`), { title: 'b-renamed', trackers: [] }),
    ],
  },
  'GET /dashboard/api/pixel-trackers': { caller: (c) => [c.dash('GET', `${D}/pixel-trackers`)] },
  'GET /dashboard/api/orgs/:org_id/pixels/:pixel_id/status': {
    foreign: (c) => [
      c.dash('GET', orgs(c.a.owner.orgId, `/pixels/${c.a.pixelId}/status`)),
      c.dash('GET', orgs(c.b.tenant.orgId, `/pixels/${c.a.pixelId}/status`)),
    ],
  },
  'GET /dashboard/api/orgs/:org_id/events': { foreign: (c) => dashEventsProbes(c, 'events'), own: (c) => dashEventsOwn(c, 'events') },
  'GET /dashboard/api/orgs/:org_id/event_counts': {
    foreign: (c) => dashEventsProbes(c, 'event_counts'),
    own: (c) => dashEventsOwn(c, 'event_counts'),
  },
  'GET /dashboard/api/orgs/:org_id/events/export': {
    foreign: (c) => dashEventsProbes(c, 'events/export'),
    own: (c) => dashEventsOwn(c, 'events/export'),
  },
  'GET /dashboard/api/orgs/:org_id/recent-events': {
    foreign: (c) => dashEventsProbes(c, 'recent-events'),
    own: (c) => dashEventsOwn(c, 'recent-events'),
  },
  'GET /dashboard/api/orgs/:org_id/topics': {
    foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, `/topics?search=${TOPIC_WORD}`))],
    own: (c) => [
      c.dash('GET', orgs(c.b.tenant.orgId, `/topics?search=${TOPIC_WORD}`)),
      c.dash('GET', orgs(c.b.tenant.orgId, '/topics?limit=1000&offset=1000')),
    ],
  },
  'GET /dashboard/api/orgs/:org_id/topic-categories': { foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/topic-categories'))] },
  'GET /dashboard/api/orgs/:org_id/topic-requests': {
    foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/topic-requests'))],
    own: (c) => [c.dash('GET', orgs(c.b.tenant.orgId, '/topic-requests'))],
  },
  'POST /dashboard/api/orgs/:org_id/topic-requests': {
    foreign: (c) => [c.dash('POST', orgs(c.a.owner.orgId, '/topic-requests'), { name: 'b-topic', topic_type: 'B2B' })],
  },
  'GET /dashboard/api/orgs/:org_id/people/:hem_sha256/intent': {
    foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, `/people/${c.a.person.hem}/intent`))],
    own: (c) => [c.dash('GET', orgs(c.b.tenant.orgId, `/people/${c.a.person.hem}/intent`))],
  },
  // A HEM is a natural key, not an id of A's: B may know the same person and hold them in its own
  // organization (the import probes do exactly that), so the probes name A's organization.
  // test/api/people.test.ts checks that B's own People page lists none of A's people.
  'GET /dashboard/api/orgs/:org_id/people': {
    foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/people')), c.dash('GET', orgs(c.a.owner.orgId, '/people?limit=100'))],
  },
  'GET /dashboard/api/orgs/:org_id/people/:hem_sha256': {
    foreign: (c) => [
      c.dash('GET', orgs(c.a.owner.orgId, `/people/${c.a.person.hem}`)),
      c.dash('GET', orgs(c.a.owner.orgId, `/people/${c.a.person.hem.toUpperCase()}?limit=200`)),
    ],
  },
  'DELETE /dashboard/api/orgs/:org_id/people/:hem_sha256/links/:visitor_id': {
    foreign: (c) => [c.dash('DELETE', orgs(c.a.owner.orgId, `/people/${c.a.person.hem}/links/${c.a.person.visitorId}`))],
  },
  'DELETE /dashboard/api/orgs/:org_id/people/:hem_sha256': {
    foreign: (c) => [c.dash('DELETE', orgs(c.a.owner.orgId, `/people/${c.a.person.hem}`))],
  },
  'POST /dashboard/api/orgs/:org_id/identities/import': {
    foreign: (c) => [
      c.anon(
        'POST',
        orgs(c.a.owner.orgId, '/identities/import'),
        { ...dash(c.b.tenant.session), 'content-type': 'text/csv' },
        importCsv(c),
      ),
    ],
  },
  'GET /dashboard/api/orgs/:org_id/identities/imports': { foreign: (c) => [c.dash('GET', orgs(c.a.owner.orgId, '/identities/imports'))] },
  'GET /dashboard/api/orgs/:org_id/identities/imports/:import_id': {
    foreign: (c) => [
      c.dash('GET', orgs(c.a.owner.orgId, `/identities/imports/${c.a.importId}`)),
      c.dash('GET', orgs(c.b.tenant.orgId, `/identities/imports/${c.a.importId}`)),
    ],
  },
  // Audiences: A's audience, named by its id (with or without A's project), is not found from B;
  // A's project named by B is not found either.
  'POST /api/v1/audiences': {
    foreign: (c) => [
      c.keyPost('/api/v1/audiences', { 'content-type': 'application/json', 'x-project-id': c.a.projectId }, audienceBody()),
      c.keyPost(`/api/v1/audiences?project_id=${c.a.projectId}`, { 'content-type': 'application/json' }, audienceBody({ mode: 'preview' })),
      c.jwt('POST', '/api/v1/audiences', { 'x-project-id': c.a.projectId }, JSON.parse(audienceBody())),
    ],
  },
  'GET /api/v1/audiences': {
    foreign: (c) => [c.key('/api/v1/audiences', { 'x-project-id': c.a.projectId }), c.key(`/api/v1/audiences?project_id=${c.a.projectId}`)],
  },
  'GET /api/v1/audiences/:audience_id': { foreign: (c) => audienceProbes(c, 'GET', '') },
  'PATCH /api/v1/audiences/:audience_id': { foreign: (c) => audienceProbes(c, 'PATCH', '', { name: 'b-renamed' }) },
  'DELETE /api/v1/audiences/:audience_id': { foreign: (c) => audienceProbes(c, 'DELETE', '') },
  'POST /api/v1/audiences/:audience_id/refresh': { foreign: (c) => audienceProbes(c, 'POST', '/refresh') },
  'POST /api/v1/audiences/:audience_id/pause': { foreign: (c) => audienceProbes(c, 'POST', '/pause') },
  'POST /api/v1/audiences/:audience_id/resume': { foreign: (c) => audienceProbes(c, 'POST', '/resume') },
  'GET /api/v1/audiences/:audience_id/sample': { foreign: (c) => audienceProbes(c, 'GET', '/sample') },
  'GET /api/v1/audiences/:audience_id/download': { foreign: (c) => audienceProbes(c, 'GET', '/download') },
  'GET /audiences/:audience_id/download': {
    foreign: (c) => [
      c.key(`/audiences/${c.a.audienceId}/download?project_id=${c.a.projectId}`),
      c.key(`/audiences/${c.a.audienceId}/download`),
      c.jwt('GET', `/audiences/${c.a.audienceId}/download`),
    ],
  },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences': {
    foreign: (c) => [
      c.dash('POST', audiencesPath(c), JSON.parse(audienceBody())),
      c.dash('POST', audiencesPath(c, c.b.tenant.orgId), JSON.parse(audienceBody())),
    ],
  },
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences': {
    foreign: (c) => [c.dash('GET', audiencesPath(c)), c.dash('GET', audiencesPath(c, c.b.tenant.orgId))],
  },
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id': { foreign: (c) => dashAudienceProbes(c, 'GET', '') },
  'PATCH /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id': {
    foreign: (c) => dashAudienceProbes(c, 'PATCH', '', { name: 'b-renamed' }),
  },
  'DELETE /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id': { foreign: (c) => dashAudienceProbes(c, 'DELETE', '') },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/refresh': {
    foreign: (c) => dashAudienceProbes(c, 'POST', '/refresh'),
  },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/pause': {
    foreign: (c) => dashAudienceProbes(c, 'POST', '/pause'),
  },
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/resume': {
    foreign: (c) => dashAudienceProbes(c, 'POST', '/resume'),
  },
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/sample': {
    foreign: (c) => dashAudienceProbes(c, 'GET', '/sample'),
  },
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/download': {
    foreign: (c) => dashAudienceProbes(c, 'GET', '/download'),
  },
  'GET /dashboard/api/orgs/:org_id/stats/aggregate': {
    foreign: (c) => dashStatsProbes(c, 'aggregate?period=7d&metrics=visitors,identified_visitors'),
  },
  'GET /dashboard/api/orgs/:org_id/stats/timeseries': { foreign: (c) => dashStatsProbes(c, 'timeseries?period=7d') },
  'GET /dashboard/api/orgs/:org_id/stats/breakdown': { foreign: (c) => dashStatsProbes(c, 'breakdown?period=7d&property=person') },
  'GET /dashboard/api/orgs/:org_id/stats/realtime/visitors': { foreign: (c) => dashStatsProbes(c, 'realtime/visitors?x=1') },
  'GET /dashboard/api/orgs/:org_id/stats/export': { foreign: (c) => dashStatsProbes(c, 'export?period=7d&property=page') },
  'GET /dashboard/api/apps': { caller: (c) => [c.dash('GET', `${D}/apps`)] },
  'POST /dashboard/api/apps': { caller: (c) => [c.dash('POST', `${D}/apps`, { name: 'b-app' })] },
  'DELETE /dashboard/api/apps/:app_id': { foreign: (c) => [c.dash('DELETE', `${D}/apps/${c.a.app.appId}`)] },
  'POST /dashboard/api/apps/:app_id/rotate': { foreign: (c) => [c.dash('POST', `${D}/apps/${c.a.app.appId}/rotate`)] },
};

/** A CSV naming A's person, with B's own values. */
const AUDIENCE_TOPIC = 'iab_ct_620';
const audienceBody = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    name: 'b-audience',
    type: 'intents',
    filter: { op: 'AND', rules: [{ type: 'INTENT', topic_ids: [AUDIENCE_TOPIC], min_score: 0 }] },
    intent_window_days: 7,
    ...extra,
  });
const bKey = (c: Ctx): Headers => ({ 'x-api-key': c.b.key.apiKey, 'x-api-secret': c.b.key.apiSecret });

/** B's data-API calls naming A's audience: bare, with A's project in the header or the query, and by JWT. */
function audienceProbes(c: Ctx, method: string, path: string, payload?: unknown): Promise<Res>[] {
  const url = `/api/v1/audiences/${c.a.audienceId}${path}`;
  return [
    c.anon(method, url, bKey(c), payload),
    c.anon(method, url, { ...bKey(c), 'x-project-id': c.a.projectId }, payload),
    c.anon(method, `${url}?project_id=${c.a.projectId}`, bKey(c), payload),
    c.jwt(method, url, {}, payload),
  ];
}

const audiencesPath = (c: Ctx, org = c.a.owner.orgId, rest = ''): string => orgs(org, `/projects/${c.a.projectId}/audiences${rest}`);

/** B's session naming A's audience under A's organization, and under B's own organization. */
function dashAudienceProbes(c: Ctx, method: string, path: string, payload?: unknown): Promise<Res>[] {
  return [
    c.dash(method, audiencesPath(c, c.a.owner.orgId, `/${c.a.audienceId}${path}`), payload),
    c.dash(method, audiencesPath(c, c.b.tenant.orgId, `/${c.a.audienceId}${path}`), payload),
  ];
}

const importCsv = (c: Ctx): string => `email,first_name,visitor_id\n${c.a.person.email},b-overwrite,${c.a.person.visitorId}\n`;

function eventsProbes(c: Ctx, path: string, v1: boolean): Promise<Res>[] {
  const q = `${path}?source=pixel&${c.range}`;
  const probes = [
    c.key(`${q}&pixel_id=${c.a.pixelId}`),
    c.key(`${q}&project_id=${c.a.projectId}`),
    c.jwt('GET', `${q}&pixel_id=${c.a.pixelId}`),
    c.jwt('GET', `${q}&pixel_id=${c.a.pixelId}`, { 'x-organization-id': c.a.owner.orgId }),
    c.key(`${q}&pixel_id=${c.a.pixelId}`, { 'x-organization-id': c.a.owner.orgId }),
  ];
  if (v1) probes.push(c.key(`${q}&organization_id=${c.a.owner.orgId}`));
  return probes;
}

/** B asks for A's pixel or project with each data-API credential, also naming A's organization. */
function statsProbes(c: Ctx, url: string): Promise<Res>[] {
  return [
    c.key(`${url}&pixel_id=${c.a.pixelId}`),
    c.key(`${url}&project_id=${c.a.projectId}`),
    c.key(`${url}&pixel_id=${c.a.pixelId}`, { 'x-organization-id': c.a.owner.orgId }),
    c.jwt('GET', `${url}&pixel_id=${c.a.pixelId}`),
    c.jwt('GET', `${url}&project_id=${c.a.projectId}`, { 'x-organization-id': c.a.owner.orgId }),
  ];
}

/** B's session on A's organization path, and on its own path naming A's pixel or project. */
function dashStatsProbes(c: Ctx, rest: string): Promise<Res>[] {
  return [
    c.dash('GET', orgs(c.a.owner.orgId, `/stats/${rest}&pixel_id=${c.a.pixelId}`)),
    c.dash('GET', orgs(c.b.tenant.orgId, `/stats/${rest}&pixel_id=${c.a.pixelId}`)),
    c.dash('GET', orgs(c.b.tenant.orgId, `/stats/${rest}&project_id=${c.a.projectId}`)),
  ];
}

function keyProbes(c: Ctx, method: string, rest: string): Promise<Res>[] {
  return [
    c.dash(method, orgs(c.a.owner.orgId, `/api-keys/${c.a.key.keyId}${rest}`)),
    c.dash(method, orgs(c.b.tenant.orgId, `/api-keys/${c.a.key.keyId}${rest}`)),
  ];
}

function dashEventsProbes(c: Ctx, what: string): Promise<Res>[] {
  return [
    c.dash('GET', orgs(c.a.owner.orgId, `/${what}?${c.range}`)),
    c.dash('GET', orgs(c.b.tenant.orgId, `/${what}?${c.range}&pixel_id=${c.a.pixelId}`)),
    c.dash('GET', orgs(c.b.tenant.orgId, `/${what}?${c.range}&project_id=${c.a.projectId}`)),
  ];
}

function dashEventsOwn(c: Ctx, what: string): Promise<Res>[] {
  return [c.dash('GET', orgs(c.b.tenant.orgId, `/${what}?${c.range}&organization_id=${c.a.owner.orgId}`))];
}

/** Signing out ends only the session that asks; a fresh one so B's main session survives. */
async function signOutFresh(c: Ctx): Promise<Res> {
  const login = await c.anon('POST', `${D}/session`, {}, { email: c.b.tenant.email, password: c.b.tenant.password });
  const s = sessionFrom(login);
  return c.anon('DELETE', `${D}/session`, dash(s));
}

describe('tenant isolation: organization B against organization A, route by route', () => {
  let t: TestApp;
  let ctx: Ctx;
  let before: unknown;

  async function victim(): Promise<Victim> {
    const tag = randomUUID().slice(0, 8);
    const orgName = `alpha-org-${tag}`;
    const owner = await newTenant(t, { name: orgName });
    const member = await addMember(t, owner, 'member');
    const key = await createKey(t, owner, `alpha-key-${tag}`);
    const jwt = await dataToken(t, owner);
    const clientRes = await t.app.inject({
      method: 'POST',
      url: '/client/v1',
      headers: { authorization: `Bearer ${jwt}` },
      payload: { name: `alpha-client-${tag}` },
    });
    const client = json<{ client_id: string; api_key: string; api_secret: string }>(clientRes);
    const appRes = await t.app.inject({
      method: 'POST',
      url: `${D}/apps`,
      headers: dash(owner.session),
      payload: { name: `alpha-app-${tag}` },
    });
    const app = json<{ app: { app_id: string }; client_id: string }>(appRes);
    const project = await t.app.inject({
      method: 'POST',
      url: orgs(owner.orgId, '/projects'),
      headers: dash(owner.session),
      payload: { name: `alpha-project-${tag}` },
    });
    const projectId = json<{ project: { project_id: string } }>(project).project.project_id;
    const pixel = await t.app.inject({
      method: 'POST',
      url: orgs(owner.orgId, `/projects/${projectId}/pixels`),
      headers: dash(owner.session),
      payload: { title: `alpha-pixel-${tag}` },
    });
    const pixelId = json<{ pixel: { pixel_id: string } }>(pixel).pixel.pixel_id;
    const inviteEmail = `alpha-invitee-${tag}@example.com`;
    const invite = await t.app.inject({
      method: 'POST',
      url: orgs(owner.orgId, '/invites'),
      headers: dash(owner.session),
      payload: { email: inviteEmail, role: 'admin' },
    });
    const inviteId = json<{ invite: { invite_id: string } }>(invite).invite.invite_id;
    const sent = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': BROWSER },
      payload: {
        event_type: 'page_view',
        pixel_id: pixelId,
        organization_id: owner.orgId,
        event_url: `https://alpha-${tag}.example/secret-page`,
        visitor_id: `alpha-visitor-${tag}`,
        // Classified into A's custom topic (accepted below), so A's person has intent on it.
        title: `${TOPIC_WORD} guide`,
        ts: Date.now(),
      },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const eventId = json<{ event_ids: string[] }>(sent).event_ids[0] as string;
    // A identifies a person: a profile of its own and a visitor link from an identify event.
    const person = {
      email: `alpha-person-${tag}@example.com`,
      hem: '',
      visitorId: `alpha-visitor-${tag}`,
      companyDomain: `alpha-${tag}.example`,
    };
    person.hem = createHash('sha256').update(person.email).digest('hex');
    await t.services.analytics.mergeProfiles(
      owner.orgId,
      [
        {
          hem_sha256: person.hem,
          hem_md5: createHash('md5').update(person.email).digest('hex'),
          hem_sha1: null,
          first_name: `alpha-first-${tag}`,
          company_domain: person.companyDomain,
        },
      ],
      Date.now(),
    );
    const identified = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': BROWSER },
      payload: {
        event_type: 'identify',
        pixel_id: pixelId,
        organization_id: owner.orgId,
        event_url: `https://alpha-${tag}.example/secret-page`,
        visitor_id: person.visitorId,
        hem_sha256: person.hem,
        ts: Date.now(),
      },
    });
    expect(identified.statusCode, identified.body).toBe(200);
    // A imports a person of its own.
    const importedEmail = `alpha-imported-${tag}@example.com`;
    const upload = await t.app.inject({
      method: 'POST',
      url: '/api/v1/identities/import',
      headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret, 'content-type': 'text/csv' },
      payload: `email,first_name,company_name\n${importedEmail},alpha-imported-first-${tag},alpha-company-${tag}\n`,
    });
    expect(upload.statusCode, upload.body).toBe(202);
    const importId = json<{ import_id: string }>(upload).import_id;
    await t.services.identityImports.idle();
    // A's key and client key leave entries in their access logs.
    for (const k of [key, { apiKey: client.api_key, apiSecret: client.api_secret }]) {
      const used = await t.app.inject({ url: '/api/v2/events_schema', headers: { 'x-api-key': k.apiKey, 'x-api-secret': k.apiSecret } });
      expect(used.statusCode).toBe(200);
    }
    const keyHeaders = { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret };
    const requestTopic = async (name: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/taxonomy/topic-requests',
        headers: keyHeaders,
        payload: { name, keywords: [TOPIC_WORD], topic_type: 'B2B' },
      });
      expect(res.statusCode, res.body).toBe(201);
      return json<{ response: { topic_request_id: string; topic_id: string } }>(res).response;
    };
    const accepted = await requestTopic(`alpha-topic-${tag}`);
    const acceptRes = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/topic-requests/${accepted.topic_request_id}/accept`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: {},
    });
    expect(acceptRes.statusCode, acceptRes.body).toBe(200);
    const waiting = await requestTopic(`alpha-waiting-topic-${tag}`);
    // A's audience on its project, computed once (A's person has page views to count).
    const audienceRes = await t.app.inject({
      method: 'POST',
      url: '/api/v1/audiences',
      headers: { ...keyHeaders, 'x-project-id': projectId },
      payload: { ...(JSON.parse(audienceBody()) as object), name: `alpha-audience-${tag}` },
    });
    expect(audienceRes.statusCode, audienceRes.body).toBe(201);
    const audienceId = json<{ audience: { audience_id: number } }>(audienceRes).audience.audience_id;
    await t.services.audienceJobs.runPending();
    return {
      owner,
      member,
      orgName,
      key,
      client: { clientId: client.client_id, apiKey: client.api_key, apiSecret: client.api_secret },
      app: { appId: app.app.app_id, clientId: app.client_id },
      projectId,
      pixelId,
      inviteId,
      person,
      acceptedRequestId: accepted.topic_request_id,
      customTopicId: accepted.topic_id,
      waitingRequestId: waiting.topic_request_id,
      waitingTopicId: waiting.topic_id,
      importId,
      audienceId,
      secrets: [
        importId,
        `alpha-audience-${tag}`,
        importedEmail,
        `alpha-imported-first-${tag}`,
        `alpha-company-${tag}`,
        `alpha-first-${tag}`,
        accepted.topic_request_id,
        accepted.topic_id,
        waiting.topic_request_id,
        waiting.topic_id,
        `alpha-topic-${tag}`,
        TOPIC_WORD,
        owner.orgId,
        orgName,
        owner.userId,
        owner.email,
        member.userId,
        member.email,
        key.keyId,
        key.apiKey.slice(0, 12),
        `alpha-key-${tag}`,
        client.client_id,
        client.api_key.slice(0, 12),
        `alpha-client-${tag}`,
        app.app.app_id,
        app.client_id,
        `alpha-app-${tag}`,
        projectId,
        `alpha-project-${tag}`,
        pixelId,
        `alpha-pixel-${tag}`,
        inviteId,
        inviteEmail,
        eventId,
        `alpha-${tag}.example`,
        `alpha-visitor-${tag}`,
        `Owner ${owner.email.slice(6, 14)}`,
      ],
    };
  }

  /** A's organization as its owner sees it, through the public surfaces. */
  async function snapshot(a: Victim): Promise<unknown> {
    const get = async (url: string, headers: Headers) => {
      const res = await t.app.inject({ url, headers });
      return { status: res.statusCode, body: res.statusCode === 200 ? (JSON.parse(res.body) as unknown) : res.body };
    };
    const owner = dash(a.owner.session);
    const keys = (await get(orgs(a.owner.orgId, '/api-keys'), owner)) as { body: { keys: Record<string, unknown>[] } };
    for (const k of keys.body.keys) delete k.last_used_at;
    const jwt = await dataToken(t, a.owner);
    const range = ctx.range;
    return {
      members: await get(orgs(a.owner.orgId, '/members'), owner),
      keys,
      keySettings: await get(orgs(a.owner.orgId, '/api-key-settings'), owner),
      // updated_at moves when the app's secret is rotated.
      app: await get(`/public/core/api/app/retrieve/${a.app.appId}`, { authorization: `Bearer ${await platformToken(t, a.owner)}` }),
      projects: await get(orgs(a.owner.orgId, '/projects'), owner),
      pixels: await get(orgs(a.owner.orgId, `/projects/${a.projectId}/pixels`), owner),
      apps: await get(`${D}/apps`, owner),
      clients: await get('/client/v1', { authorization: `Bearer ${jwt}` }),
      events: await get(`/api/v2/event_counts?source=pixel&pixel_id=${a.pixelId}&${range}`, {
        'x-api-key': a.key.apiKey,
        'x-api-secret': a.key.apiSecret,
      }),
      clientKey: (
        await get('/api/v2/events_schema', {
          'x-api-key': a.client.apiKey,
          'x-api-secret': a.client.apiSecret,
        })
      ).status,
      script: (await t.app.inject({ url: `/pixels/${a.pixelId}/p.js` })).statusCode,
      person: await get(`/api/v1/identities/${a.person.hem}`, { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      topicRequests: await get('/taxonomy/topic-requests', { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      customTopic: await get(`/taxonomy/topics/${a.customTopicId}`, { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      intent: await get(`/api/v1/intent?hem=${a.person.hem}`, { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      companyIntent: await get(`/api/v1/intent?company_domain=${a.person.companyDomain}`, {
        'x-api-key': a.key.apiKey,
        'x-api-secret': a.key.apiSecret,
      }),
      intentPanel: await get(orgs(a.owner.orgId, `/people/${a.person.hem}/intent`), owner),
      people: await get(orgs(a.owner.orgId, '/people'), owner),
      imported: await get(`/api/v1/identities/imports/${a.importId}`, { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      imports: await get(orgs(a.owner.orgId, '/identities/imports'), owner),
      audience: await get(`/api/v1/audiences/${a.audienceId}`, { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      audienceSample: await get(`/api/v1/audiences/${a.audienceId}/sample`, { 'x-api-key': a.key.apiKey, 'x-api-secret': a.key.apiSecret }),
      memberSession: (await get(orgs(a.owner.orgId, '/projects'), dash(a.member.session))).status,
    };
  }

  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    const a = await victim();
    const bTenant = await newTenant(t, { name: `beta-${randomUUID().slice(0, 8)}` });
    const b: Attacker = {
      tenant: bTenant,
      key: await createKey(t, bTenant),
      jwt: await dataToken(t, bTenant),
      partner: await partnerHeaders(t, bTenant),
      platformJwt: await platformToken(t, bTenant),
    };
    // B has objects of its own, so "not found" is not just an empty organization.
    await createApp(t, bTenant);
    const now = Date.now();
    const send = (method: string, url: string, headers: Headers, payload?: unknown) =>
      t.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    ctx = {
      a,
      b,
      range: `start_ms=${now - 3_600_000}&end_ms=${now + 3_600_000}`,
      dash: (method, url, payload) => send(method, url, dash(b.tenant.session), payload),
      key: (url, headers = {}) => send('GET', url, { 'x-api-key': b.key.apiKey, 'x-api-secret': b.key.apiSecret, ...headers }),
      keyDelete: (url) => send('DELETE', url, { 'x-api-key': b.key.apiKey, 'x-api-secret': b.key.apiSecret }),
      keyPost: (url, headers, payload) =>
        send('POST', url, { 'x-api-key': b.key.apiKey, 'x-api-secret': b.key.apiSecret, ...headers }, payload),
      jwt: (method, url, headers = {}, payload) => send(method, url, { authorization: `Bearer ${b.jwt}`, ...headers }, payload),
      partner: (method, url, headers = {}, payload) => send(method, url, { ...b.partner, ...headers }, payload),
      anon: (method, url, headers = {}, payload) => send(method, url, headers, payload),
    };
    before = await snapshot(a);
  });
  afterAll(async () => t?.close());

  it('has a case for every route the app serves, and no case for a route it does not', () => {
    const routes = appRoutes(t.app);
    expect(routes.length).toBeGreaterThan(40);
    expect(
      routes.filter((r) => !(r in CASES)),
      'routes without an isolation case',
    ).toEqual([]);
    expect(
      Object.keys(CASES).filter((k) => !routes.includes(k)),
      'cases for routes that no longer exist',
    ).toEqual([]);
  });

  function expectNothingOfA(res: Res, label: string) {
    for (const s of ctx.a.secrets) expect(res.body.includes(s), `${label}: answer reveals "${s}": ${res.body.slice(0, 300)}`).toBe(false);
  }
  function expectAnsweredWithNothingOfA(res: Res, label: string) {
    expect(res.statusCode, `${label}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    expectNothingOfA(res, label);
  }

  it.each(Object.keys(CASES))('%s', async (route) => {
    const c = CASES[route] as Case;
    if ('public' in c) {
      expect(c.public.length).toBeGreaterThan(0);
      for (const res of await Promise.all(c.probes?.(ctx) ?? [])) expectNothingOfA(res, `${route} (public)`);
      return;
    }
    if ('caller' in c) {
      for (const res of await Promise.all(c.caller(ctx))) expectAnsweredWithNothingOfA(res, `${route} (caller)`);
      return;
    }
    const allowed = c.status ?? [403, 404];
    const probes = c.foreign(ctx);
    expect(probes.length).toBeGreaterThan(0);
    for (const [i, res] of (await Promise.all(probes)).entries()) {
      const label = `${route} probe ${i}`;
      expect(allowed, `${label}: ${res.statusCode} ${res.body.slice(0, 300)}`).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof json(res).error).toBe('string');
      expectNothingOfA(res, label);
    }
    for (const res of await Promise.all(c.own?.(ctx) ?? [])) expectAnsweredWithNothingOfA(res, `${route} (own)`);
  });

  it("leaves every one of A's objects as it was", async () => {
    // B's own imports (of A's person's email) have finished, so their effect, if any, would show.
    await t.services.identityImports.idle();
    expect(await snapshot(ctx.a)).toEqual(before);
    // A page view and the identify event.
    expect((before as { events: { body: { count: number } } }).events.body.count).toBe(2);
    // A's person and company have intent on A's own topic: what B must not reach.
    const intent = before as {
      intent: { body: { topics: { topic_id: string }[] } };
      companyIntent: { body: { topics: { topic_id: string }[] } };
    };
    expect(intent.intent.body.topics.map((x) => x.topic_id)).toEqual([ctx.a.customTopicId]);
    expect(intent.companyIntent.body.topics.map((x) => x.topic_id)).toEqual([ctx.a.customTopicId]);
  });
});

describe('roles inside one organization', () => {
  let t: TestApp;
  let owner: Tenant;
  let admin: Tenant;
  let member: Tenant;
  let other: Tenant;
  let keyId: string;
  let projectId: string;
  let pixelId: string;
  let inviteId: string;

  const call = (who: Tenant, method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: dash(who.session),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await makeTestApp();
    owner = await newTenant(t);
    admin = await addMember(t, owner, 'admin');
    member = await addMember(t, owner, 'member');
    other = await addMember(t, owner, 'member');
    keyId = (await createKey(t, owner)).keyId;
    const p = await call(owner, 'POST', orgs(owner.orgId, '/projects'), { name: 'roles' });
    projectId = json<{ project: { project_id: string } }>(p).project.project_id;
    const px = await call(owner, 'POST', orgs(owner.orgId, `/projects/${projectId}/pixels`), { title: 'roles' });
    pixelId = json<{ pixel: { pixel_id: string } }>(px).pixel.pixel_id;
    const inv = await call(owner, 'POST', orgs(owner.orgId, '/invites'), { email: `pending-${randomUUID()}@example.com`, role: 'member' });
    inviteId = json<{ invite: { invite_id: string } }>(inv).invite.invite_id;
  });
  afterAll(async () => t?.close());

  const roleOf = async (userId: string) => {
    const res = await call(owner, 'GET', orgs(owner.orgId, '/members'));
    return json<{ members: { user_id: string; role: string }[] }>(res).members.find((m) => m.user_id === userId)?.role;
  };

  it('a member cannot invite, manage members, manage keys, create projects and pixels, or unlink and erase people (403)', async () => {
    const o = owner.orgId;
    const attempts: [string, string, unknown?][] = [
      ['POST', orgs(o, '/invites'), { email: `x-${randomUUID()}@example.com`, role: 'member' }],
      ['POST', orgs(o, `/invites/${inviteId}/resend`)],
      ['DELETE', orgs(o, `/invites/${inviteId}`)],
      ['PATCH', orgs(o, `/members/${other.userId}`), { role: 'admin' }],
      ['PATCH', orgs(o, `/members/${member.userId}`), { role: 'owner' }],
      ['DELETE', orgs(o, `/members/${other.userId}`)],
      ['DELETE', orgs(o, `/members/${owner.userId}`)],
      ['GET', orgs(o, '/api-keys')],
      ['POST', orgs(o, '/api-keys'), { name: 'nope' }],
      ['POST', orgs(o, `/api-keys/${keyId}/revoke`)],
      ['POST', orgs(o, `/api-keys/${keyId}/rotate`)],
      ['GET', orgs(o, `/api-keys/${keyId}/access-log`)],
      ['GET', orgs(o, '/api-key-settings')],
      ['PATCH', orgs(o, '/api-key-settings'), { secret_required: false }],
      ['POST', orgs(o, '/projects'), { name: 'nope' }],
      ['PATCH', orgs(o, `/projects/${projectId}`), { name: 'nope' }],
      ['PATCH', orgs(o, `/projects/${projectId}`), { retention_days: 1 }],
      ['POST', orgs(o, `/projects/${projectId}/archive`)],
      ['POST', orgs(o, `/projects/${projectId}/unarchive`)],
      ['POST', orgs(o, `/projects/${projectId}/pixels`), { title: 'nope' }],
      ['DELETE', orgs(o, `/pixels/${pixelId}`)],
      ['DELETE', orgs(o, `/people/${'ab'.repeat(32)}/links/some-visitor`)],
      ['DELETE', orgs(o, `/people/${'ab'.repeat(32)}`)],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await call(member, method, url, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      expect(json(res).code).toBe('forbidden');
    }
    // The legacy data API and the Partner API hold the same line.
    const jwt = await dataToken(t, member);
    const created = await t.app.inject({
      method: 'POST',
      url: '/client/v1',
      headers: { authorization: `Bearer ${jwt}` },
      payload: { name: 'x' },
    });
    expect(created.statusCode, created.body).toBe(403);
    // Listing legacy clients shows key prefixes: not for members either.
    const listed = await t.app.inject({ url: '/client/v1', headers: { authorization: `Bearer ${jwt}` } });
    expect(listed.statusCode, listed.body).toBe(403);
    const ph = await partnerHeaders(t, member);
    const partner = [
      await t.app.inject({
        method: 'POST',
        url: '/public/core/api/project/create',
        headers: { ...ph, organization_id: o },
        payload: { project: { name: 'x' } },
      }),
      await t.app.inject({
        method: 'POST',
        url: '/public/core/api/pixel/create',
        headers: { ...ph, project_id: projectId },
        payload: { title: 'x' },
      }),
      await t.app.inject({ method: 'DELETE', url: '/public/core/api/pixel/delete', headers: ph, payload: { pixel_id: pixelId } }),
      await t.app.inject({
        method: 'POST',
        url: '/public/core/api/project/update',
        headers: ph,
        payload: { project_id: projectId, retention_days: 1 },
      }),
      await t.app.inject({ method: 'POST', url: '/public/core/api/project/archive', headers: ph, payload: { project_id: projectId } }),
      await t.app.inject({ method: 'POST', url: '/public/core/api/organization/create', headers: ph, payload: { name: 'x' } }),
    ];
    for (const res of partner) expect(res.statusCode, res.body).toBe(403);
    // Nothing changed: roles, key, invite, pixel, project.
    expect(await roleOf(member.userId)).toBe('member');
    expect(await roleOf(other.userId)).toBe('member');
    const members = json<{ invites: { invite_id: string }[] }>(await call(owner, 'GET', orgs(o, '/members')));
    expect(members.invites.map((i) => i.invite_id)).toContain(inviteId);
    const keys = json<{ keys: { key_id: string; status: string }[] }>(await call(owner, 'GET', orgs(o, '/api-keys')));
    expect(keys.keys.find((k) => k.key_id === keyId)?.status).toBe('active');
    expect((await t.app.inject({ url: `/pixels/${pixelId}/p.js` })).statusCode).toBe(200);
    // Members see who is in the organization, not the pending invitations.
    const seen = json<{ your_role: string; invites: unknown[] }>(await call(member, 'GET', orgs(o, '/members')));
    expect(seen.your_role).toBe('member');
    expect(seen.invites).toEqual([]);
  });

  it('an admin manages keys and projects but cannot change roles, remove others or invite owners (403)', async () => {
    const o = owner.orgId;
    for (const [target, role] of [
      [other.userId, 'admin'],
      [admin.userId, 'owner'],
      [owner.userId, 'member'],
    ] as const) {
      const res = await call(admin, 'PATCH', orgs(o, `/members/${target}`), { role });
      expect(res.statusCode, res.body).toBe(403);
    }
    expect((await call(admin, 'DELETE', orgs(o, `/members/${other.userId}`))).statusCode).toBe(403);
    expect((await call(admin, 'DELETE', orgs(o, `/members/${owner.userId}`))).statusCode).toBe(403);
    const ownerInvite = await call(admin, 'POST', orgs(o, '/invites'), { email: `o-${randomUUID()}@example.com`, role: 'owner' });
    expect(ownerInvite.statusCode, ownerInvite.body).toBe(403);
    // Whether keys must send their secret is the owners' call; admins may read it.
    const policy = await call(admin, 'PATCH', orgs(o, '/api-key-settings'), { secret_required: false });
    expect(policy.statusCode, policy.body).toBe(403);
    expect(json(await call(admin, 'GET', orgs(o, '/api-key-settings')))).toEqual({ secret_required: true });
    expect(await roleOf(admin.userId)).toBe('admin');
    expect(await roleOf(other.userId)).toBe('member');
    expect(await roleOf(owner.userId)).toBe('owner');
    // What admins may do, so the 403s above are about roles and not a broken session.
    expect((await call(admin, 'POST', orgs(o, '/api-keys'), { name: 'admin key' })).statusCode).toBe(201);
    expect((await call(admin, 'POST', orgs(o, '/projects'), { name: 'admin project' })).statusCode).toBe(201);
    expect((await call(admin, 'POST', orgs(o, '/invites'), { email: `m-${randomUUID()}@example.com`, role: 'member' })).statusCode).toBe(
      201,
    );
  });

  it('the last owner can be neither removed nor demoted (409); with two owners one may step down', async () => {
    const o = owner.orgId;
    for (const role of ['admin', 'member']) {
      const res = await call(owner, 'PATCH', orgs(o, `/members/${owner.userId}`), { role });
      expect(res.statusCode, res.body).toBe(409);
      expect(json(res).code).toBe('last_owner');
    }
    const leave = await call(owner, 'DELETE', orgs(o, `/members/${owner.userId}`));
    expect(leave.statusCode, leave.body).toBe(409);
    expect(await roleOf(owner.userId)).toBe('owner');

    const second = await addMember(t, owner, 'owner');
    expect((await call(second, 'PATCH', orgs(o, `/members/${owner.userId}`), { role: 'admin' })).statusCode).toBe(200);
    const demoteLast = await call(second, 'PATCH', orgs(o, `/members/${second.userId}`), { role: 'member' });
    expect(demoteLast.statusCode, demoteLast.body).toBe(409);
    const removeLast = await call(second, 'DELETE', orgs(o, `/members/${second.userId}`));
    expect(removeLast.statusCode, removeLast.body).toBe(409);
    expect(await roleOf(second.userId)).toBe('owner');
    // Restore: the original owner is an owner again.
    expect((await call(second, 'PATCH', orgs(o, `/members/${owner.userId}`), { role: 'owner' })).statusCode).toBe(200);
  });

  it("a removed member's session, data-API JWT and platform JWT stop working for the organization at once", async () => {
    const gone = await addMember(t, owner, 'admin');
    const jwt = await dataToken(t, gone);
    const platform = await partnerHeaders(t, gone);
    const o = owner.orgId;
    // Working before.
    expect((await call(gone, 'GET', orgs(o, '/projects'))).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v2/events_schema', headers: { authorization: `Bearer ${jwt}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/client/v1', headers: { authorization: `Bearer ${jwt}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/public/core/api/project/get', headers: { ...platform, organization_id: o } })).statusCode).toBe(
      200,
    );

    const removed = await call(owner, 'DELETE', orgs(o, `/members/${gone.userId}`));
    expect(removed.statusCode, removed.body).toBe(200);

    for (const [method, url, payload] of [
      ['GET', orgs(o, '/projects')],
      ['GET', orgs(o, '/members')],
      ['POST', orgs(o, '/api-keys'), { name: 'after removal' }],
      ['GET', orgs(o, `/projects/${projectId}/pixels`)],
    ] as [string, string, unknown?][]) {
      const res = await call(gone, method, url, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
    }
    for (const url of ['/api/v2/events_schema', '/client/v1']) {
      const res = await t.app.inject({ url, headers: { authorization: `Bearer ${jwt}` } });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(401);
    }
    const events = await t.app.inject({
      url: `/api/v2/event_counts?source=pixel&pixel_id=${pixelId}&start_ms=0&end_ms=${Date.now()}`,
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(events.statusCode, events.body).toBe(401);
    const partner = await t.app.inject({ url: '/public/core/api/project/get', headers: { ...platform, organization_id: o } });
    expect(partner.statusCode, partner.body).toBe(404);
    const list = await t.app.inject({ url: '/public/core/api/organization/get', headers: platform });
    expect(json<{ response: { organizations: unknown[] } }>(list).response.organizations).toEqual([]);
  });

  it('a member may leave, and is then refused like a removed one', async () => {
    const leaver = await addMember(t, owner, 'member');
    const jwt = await dataToken(t, leaver);
    const res = await call(leaver, 'DELETE', orgs(owner.orgId, `/members/${leaver.userId}`));
    expect(res.statusCode, res.body).toBe(200);
    expect((await call(leaver, 'GET', orgs(owner.orgId, '/projects'))).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/client/v1', headers: { authorization: `Bearer ${jwt}` } })).statusCode).toBe(401);
  });
});
