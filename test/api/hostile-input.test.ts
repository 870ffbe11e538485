// Acceptance: hostile input on every route. For each route the app serves (the list comes from the
// app, so a new route fails the coverage test until it has a case here), a valid request is built
// with real credentials, then varied one hostile aspect at a time: credentials missing, repeated or
// garbled; bodies with the wrong JSON type in each field, missing required fields, broken JSON,
// over BODY_LIMIT, the wrong content type; unicode, emoji, RTL, NUL and oversized strings in body
// fields, query parameters, scope headers and path parameters. Field names, types and limits are read
// from the route's own schema (the OpenAPI document). Malformed variants must be refused with a 4xx
// and a JSON `{"error": string}`; odd-but-well-formed text must never cause a 5xx; nothing may hang.
// Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_LIMITS } from '../../src/collect/validate.js';
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
  platformToken,
  type Session,
  sessionFrom,
  type Tenant,
} from '../support/tenant.js';

type Res = LightMyRequestResponse;

// The parts of JSON Schema / OpenAPI this test reads.
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  items?: Schema;
  maxItems?: number;
}
interface Operation {
  requestBody?: { content?: Record<string, { schema: Schema }> };
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

type Auth = 'none' | 'session' | 'data' | 'jwt' | 'platform' | 'partner' | 'admin';

interface Fixtures {
  owner: Tenant;
  spareSession: Session;
  key: { keyId: string; apiKey: string; apiSecret: string };
  spareKeyId: string;
  rotateKeyId: string;
  dataJwt: string;
  platformJwt: string;
  app: { clientId: string; clientSecret: string };
  spareAppId: string;
  appId: string;
  clientId: string;
  projectId: string;
  /** A project the archive routes may archive and unarchive at will. */
  spareProjectId: string;
  pixelId: string;
  sparePixelId: string;
  partnerPixelId: string;
  inviteId: string;
  inviteEmail: string;
  spareInviteId: string;
  member: Tenant;
  range: Record<string, string>;
  /** A topic request still waiting for approval (owner's organization), and a fresh one for each review. */
  topicRequestId: string;
  reviewRequestId: string;
  topicId: string;
  categoryId: string;
  subcategoryId: string;
  /** A person of the owner's organization (a profile at company hostile.example). */
  personHem: string;
  importId: string;
  /** An organization of its own for each operator demo load (a second load is refused); made by the case. */
  demoOrgId: string;
  /** An audience of the owner's project (computed), and a fresh one for the routes that use theirs up. */
  audienceId: string;
  spareAudienceId: string;
}

interface Case {
  auth: Auth;
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** Scope headers the route reads (organization_id, project_id, ...). */
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  /** For routes that check their body by hand: its shape, in place of the route's schema. */
  bodySchema?: Schema;
  /** The status of the unaltered request when it is not a success (e.g. sign-up is closed). */
  baseStatus?: number;
  /** Use the spare session (the route ends the session it is called with). */
  spareSession?: true;
  /** The route's own body limit, when it differs from BODY_LIMIT. */
  bodyLimit?: number;
  /** A body that is not JSON (identity import: CSV or NDJSON): its content type and a valid payload. */
  raw?: { type: string; payload: string };
  /**
   * For routes that use up their object (delete, revoke, sign out): a fresh one before each request,
   * so every variant differs from a request that would succeed.
   */
  fresh?: (t: TestApp, f: Fixtures) => Promise<Partial<Fixtures>>;
}

const D = '/dashboard/api';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const TOKEN = 'x'.repeat(43);
const signup = (): Record<string, unknown> => ({
  email: `new-${randomUUID()}@example.com`,
  password: 'a long enough password',
  first_name: 'New',
  last_name: 'Person',
  organization_name: 'New Org',
});
const org = (f: Fixtures) => ({ org_id: f.owner.orgId });
const projectOf = (f: Fixtures) => ({ org_id: f.owner.orgId, project_id: f.projectId });
/** A valid intents audience on the Cloud Computing topic. */
const AUDIENCE = {
  name: 'Hostile audience',
  description: 'people reading about cloud computing',
  type: 'intents',
  filter: {
    op: 'AND',
    rules: [
      { type: 'INTENT', topic_ids: ['iab_ct_620'], min_score: 0 },
      { field: 'company_domain', operator: 'eq', value: 'hostile.example' },
    ],
  },
  refresh_schedule: 'daily',
  intent_window_days: 7,
  mode: 'unload',
};
/** A valid identity import: a CSV with one person. */
const IMPORT_CSV = { type: 'text/csv', payload: 'email,first_name,visitor_id\nhostile-person@example.com,Hostile,hostile-visitor\n' };
/** IMPORT_MAX_BYTES of the app under test: small, so the over-the-limit upload is cheap. */
const IMPORT_LIMIT = 65_536;
const events = (f: Fixtures) => ({ source: 'pixel', pixel_id: f.pixelId, ...f.range });
const EVENT_SCHEMA: Schema = {
  type: 'object',
  required: ['event_type', 'pixel_id', 'organization_id'],
  properties: {
    event_type: { type: 'string', maxLength: 100 },
    pixel_id: { type: 'string' },
    organization_id: { type: 'string' },
    event_data: { type: 'object' },
    event_url: { type: 'string', maxLength: 4000 },
    visitor_id: { type: 'string', maxLength: 100 },
    session_id: { type: 'string', maxLength: 100 },
    title: { type: 'string', maxLength: 1000 },
    ts: { type: 'integer' },
    // A server sending for its visitors (docs/ingest.md): the visitor's agent and address, and the
    // client's own event id. A bad address or id is refused; the odd texts below are not addresses.
    event_id: { type: 'string', maxLength: 100 },
    user_agent: { type: 'string', maxLength: 1000 },
    ip: { type: 'string', maxLength: 45 },
  },
};

const CASES: Record<string, (f: Fixtures) => Case> = {
  'GET /healthz': () => ({ auth: 'none' }),
  'GET /readyz': () => ({ auth: 'none' }),
  'GET /metrics': () => ({ auth: 'none' }),
  'GET /openapi.json': () => ({ auth: 'none' }),
  'GET /docs': () => ({ auth: 'none' }),
  'GET /docs/': () => ({ auth: 'none' }),
  'GET /docs/json': () => ({ auth: 'none' }),
  'GET /docs/yaml': () => ({ auth: 'none' }),
  'GET /docs/static/index.html': () => ({ auth: 'none' }),
  'GET /docs/static/swagger-initializer.js': () => ({ auth: 'none' }),
  'GET /docs/static/*': () => ({ auth: 'none', params: { '*': 'swagger-ui.css' } }),
  'GET /': () => ({ auth: 'none' }),
  'GET /*': (f) => ({ auth: 'none', params: { '*': `${f.owner.orgId}/settings/api-keys` } }),

  'POST /auth/v1/login': (f) => ({ auth: 'none', body: { email: f.owner.email, password: f.owner.password } }),
  'POST /auth/v1/register': () => ({ auth: 'none', body: signup(), baseStatus: 403 }),
  'POST /data/core/v1/auth/register': () => ({ auth: 'none', body: signup(), baseStatus: 403 }),
  'POST /public/core/auth/issue': (f) => ({ auth: 'none', body: { email: f.owner.email, password: f.owner.password } }),

  'GET /client/v1': () => ({ auth: 'jwt' }),
  'POST /client/v1': () => ({ auth: 'jwt', body: { name: 'hostile client' } }),
  'DELETE /client/v1/:client_id': (f) => ({
    auth: 'jwt',
    params: { client_id: f.clientId },
    fresh: async (t, f) => ({ clientId: await newClient(t, f) }),
  }),

  'GET /public/core/': () => ({ auth: 'none' }),
  'GET /public/core/health': () => ({ auth: 'none' }),
  'POST /public/core/api/app/create': () => ({ auth: 'platform', body: { name: 'hostile app' }, baseStatus: 201 }),
  'GET /public/core/api/app/retrieve/:app_id': (f) => ({ auth: 'platform', params: { app_id: f.appId } }),
  'POST /public/core/api/app/rotate/:app_id': (f) => ({ auth: 'platform', params: { app_id: f.appId } }),
  'GET /public/core/api/organization/get': () => ({ auth: 'platform' }),
  'POST /public/core/api/organization/create': () => ({ auth: 'partner', body: { name: 'hostile org' } }),
  'POST /public/core/api/project/create': (f) => ({
    auth: 'partner',
    headers: { organization_id: f.owner.orgId },
    body: { project: { name: 'hostile project', email: 'p@example.com', retention_days: 30 } },
  }),
  'POST /public/core/api/project/update': (f) => ({
    auth: 'partner',
    body: { project_id: f.spareProjectId, name: 'hostile renamed', retention_days: 30 },
  }),
  'POST /public/core/api/project/archive': (f) => ({ auth: 'partner', body: { project_id: f.spareProjectId } }),
  'POST /public/core/api/project/unarchive': (f) => ({ auth: 'partner', body: { project_id: f.spareProjectId } }),
  'GET /public/core/api/project/get': (f) => ({ auth: 'partner', headers: { organization_id: f.owner.orgId } }),
  'POST /public/core/api/pixel/create': (f) => ({
    auth: 'partner',
    headers: { project_id: f.projectId },
    body: { title: 'hostile pixel' },
  }),
  'GET /public/core/api/pixel/get': (f) => ({ auth: 'partner', headers: { project_id: f.projectId } }),
  'DELETE /public/core/api/pixel/delete': (f) => ({
    auth: 'partner',
    body: { pixel_id: f.partnerPixelId },
    fresh: async (t, f) => ({ partnerPixelId: await newPixel(t, f) }),
  }),

  'GET /admin/v1/organizations': () => ({ auth: 'admin' }),
  'POST /admin/v1/organizations': () => ({
    auth: 'admin',
    body: { name: 'hostile operator org', owner_email: `op-${randomUUID()}@example.com` },
    baseStatus: 201,
  }),
  'POST /admin/v1/organizations/:organization_id/demo': (f) => ({
    auth: 'admin',
    params: { organization_id: f.demoOrgId },
    body: { people: 10, days: 7 },
    baseStatus: 201,
    // A variant the route accepts loads the demo, after which the organization refuses another.
    fresh: async (t) => ({ demoOrgId: (await newTenant(t)).orgId }),
  }),
  'GET /dashboard/api/orgs/:org_id/intent/surging-topics': (f) => ({
    auth: 'session',
    params: org(f),
    query: { window_days: '7', limit: '5' },
  }),
  'GET /dashboard/api/orgs/:org_id/field-catalog': (f) => ({ auth: 'session', params: org(f), query: { schema_type: 'audience' } }),
  'POST /dashboard/api/orgs/:org_id/demo': (f) => ({
    auth: 'session',
    params: org(f),
    body: { people: 10, days: 7 },
    baseStatus: 201,
    fresh: async (t) => ({ owner: await newTenant(t) }),
  }),
  'POST /admin/v1/organizations/:organization_id/invites/resend': (f) => ({
    auth: 'admin',
    params: { organization_id: f.owner.orgId },
    body: { email: f.inviteEmail },
  }),

  'POST /dashboard/api/session': (f) => ({ auth: 'none', body: { email: f.owner.email, password: f.owner.password } }),
  'GET /dashboard/api/session': () => ({ auth: 'session' }),
  'DELETE /dashboard/api/session': () => ({
    auth: 'session',
    spareSession: true,
    fresh: async (t, f) => ({ spareSession: await newSession(t, f) }),
  }),
  'GET /dashboard/api/signup': () => ({ auth: 'none' }),
  'POST /dashboard/api/signup': () => ({ auth: 'none', body: signup(), baseStatus: 403 }),
  'POST /dashboard/api/invites/preview': () => ({ auth: 'none', body: { token: TOKEN }, baseStatus: 404 }),
  'POST /dashboard/api/invites/accept': () => ({
    auth: 'none',
    body: { token: TOKEN, first_name: 'A', last_name: 'B', password: 'a long enough password' },
    baseStatus: 404,
  }),
  'POST /dashboard/api/signup/confirm': () => ({ auth: 'none', body: { token: TOKEN }, baseStatus: 404 }),
  'POST /dashboard/api/password/forgot': () => ({ auth: 'none', body: { email: 'nobody@example.com' }, baseStatus: 202 }),
  'POST /dashboard/api/password/reset': () => ({
    auth: 'none',
    body: { token: TOKEN, password: 'a long enough password' },
    baseStatus: 404,
  }),
  'GET /dashboard/api/orgs/:org_id/members': (f) => ({ auth: 'session', params: org(f) }),
  'POST /dashboard/api/orgs/:org_id/invites': (f) => ({
    auth: 'session',
    params: org(f),
    body: { email: 'invitee@example.com', role: 'member' },
    baseStatus: 201,
  }),
  'POST /dashboard/api/orgs/:org_id/invites/:invite_id/resend': (f) => ({
    auth: 'session',
    params: { ...org(f), invite_id: f.inviteId },
  }),
  'DELETE /dashboard/api/orgs/:org_id/invites/:invite_id': (f) => ({
    auth: 'session',
    params: { ...org(f), invite_id: f.spareInviteId },
    fresh: async (t, f) => ({ spareInviteId: await newInvite(t, f) }),
  }),
  'PATCH /dashboard/api/orgs/:org_id/members/:user_id': (f) => ({
    auth: 'session',
    params: { ...org(f), user_id: f.member.userId },
    body: { role: 'member' },
  }),
  'DELETE /dashboard/api/orgs/:org_id/members/:user_id': (f) => ({
    auth: 'session',
    params: { ...org(f), user_id: f.member.userId },
    fresh: async (t, f) => ({ member: await addMember(t, f.owner, 'member') }),
  }),
  'GET /dashboard/api/orgs/:org_id/api-keys': (f) => ({ auth: 'session', params: org(f) }),
  'POST /dashboard/api/orgs/:org_id/api-keys': (f) => ({ auth: 'session', params: org(f), body: { name: 'hostile key' }, baseStatus: 201 }),
  'POST /dashboard/api/orgs/:org_id/api-keys/:key_id/revoke': (f) => ({
    auth: 'session',
    params: { ...org(f), key_id: f.spareKeyId },
    fresh: async (t, f) => ({ spareKeyId: (await createKey(t, f.owner, 'spare')).keyId }),
  }),
  'POST /dashboard/api/orgs/:org_id/api-keys/:key_id/rotate': (f) => ({ auth: 'session', params: { ...org(f), key_id: f.rotateKeyId } }),
  'GET /dashboard/api/orgs/:org_id/api-keys/:key_id/access-log': (f) => ({
    auth: 'session',
    params: { ...org(f), key_id: f.key.keyId },
    query: { limit: '10' },
  }),
  'GET /dashboard/api/orgs/:org_id/api-key-settings': (f) => ({ auth: 'session', params: org(f) }),
  'PATCH /dashboard/api/orgs/:org_id/api-key-settings': (f) => ({ auth: 'session', params: org(f), body: { secret_required: true } }),
  'GET /dashboard/api/orgs/:org_id/projects': (f) => ({ auth: 'session', params: org(f) }),
  'POST /dashboard/api/orgs/:org_id/projects': (f) => ({
    auth: 'session',
    params: org(f),
    body: { name: 'hostile', retention_days: 30 },
    baseStatus: 201,
  }),
  'PATCH /dashboard/api/orgs/:org_id/projects/:project_id': (f) => ({
    auth: 'session',
    params: { ...org(f), project_id: f.projectId },
    body: { name: 'renamed', retention_days: 30 },
  }),
  // On a project of its own: the shared one must stay active for the pixel routes.
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/archive': (f) => ({
    auth: 'session',
    params: { ...org(f), project_id: f.spareProjectId },
  }),
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/unarchive': (f) => ({
    auth: 'session',
    params: { ...org(f), project_id: f.spareProjectId },
  }),
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/pixels': (f) => ({
    auth: 'session',
    params: { ...org(f), project_id: f.projectId },
  }),
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/pixels': (f) => ({
    auth: 'session',
    params: { ...org(f), project_id: f.projectId },
    body: { title: 'hostile', respect_privacy_signals: false },
    baseStatus: 201,
  }),
  'DELETE /dashboard/api/orgs/:org_id/pixels/:pixel_id': (f) => ({
    auth: 'session',
    params: { ...org(f), pixel_id: f.sparePixelId },
    fresh: async (t, f) => ({ sparePixelId: await newPixel(t, f) }),
  }),
  'PATCH /dashboard/api/orgs/:org_id/pixels/:pixel_id': (f) => ({
    auth: 'session',
    params: { ...org(f), pixel_id: f.pixelId },
    body: { title: 'renamed', trackers: ['spa', 'clicks'], respect_privacy_signals: false },
  }),
  'GET /dashboard/api/pixel-trackers': () => ({ auth: 'session' }),
  'GET /dashboard/api/orgs/:org_id/pixels/:pixel_id/status': (f) => ({ auth: 'session', params: { ...org(f), pixel_id: f.pixelId } }),
  'GET /dashboard/api/orgs/:org_id/events': (f) => ({ auth: 'session', params: org(f), query: f.range }),
  'GET /dashboard/api/orgs/:org_id/event_counts': (f) => ({ auth: 'session', params: org(f), query: f.range }),
  'GET /dashboard/api/orgs/:org_id/events/export': (f) => ({ auth: 'session', params: org(f), query: { ...f.range, format: 'csv' } }),
  'GET /dashboard/api/orgs/:org_id/recent-events': (f) => ({ auth: 'session', params: org(f), query: { ...f.range, limit: '10' } }),
  'GET /dashboard/api/orgs/:org_id/people': (f) => ({ auth: 'session', params: org(f), query: { limit: '10', offset: '0' } }),
  'GET /dashboard/api/orgs/:org_id/people/:hem_sha256': (f) => ({
    auth: 'session',
    params: { ...org(f), hem_sha256: 'ab'.repeat(32) },
    query: { limit: '10', page: '0' },
    baseStatus: 404,
  }),
  'DELETE /dashboard/api/orgs/:org_id/people/:hem_sha256/links/:visitor_id': (f) => ({
    auth: 'session',
    params: { ...org(f), hem_sha256: 'ab'.repeat(32), visitor_id: 'nobody' },
    baseStatus: 404,
  }),
  'DELETE /dashboard/api/orgs/:org_id/people/:hem_sha256': (f) => ({
    auth: 'session',
    params: { ...org(f), hem_sha256: 'cd'.repeat(32) },
    baseStatus: 404,
  }),
  'GET /dashboard/api/orgs/:org_id/stats/aggregate': (f) => ({
    auth: 'session',
    params: org(f),
    query: { project_id: f.projectId, period: 'day', metrics: 'visitors,identified_visitors', filters: 'company:not_null' },
  }),
  'GET /dashboard/api/orgs/:org_id/stats/timeseries': (f) => ({
    auth: 'session',
    params: org(f),
    query: { pixel_id: f.pixelId, interval: 'week' },
  }),
  'GET /dashboard/api/orgs/:org_id/stats/breakdown': (f) => ({
    auth: 'session',
    params: org(f),
    query: { pixel_id: f.pixelId, property: 'person' },
  }),
  'GET /dashboard/api/orgs/:org_id/stats/realtime/visitors': (f) => ({
    auth: 'session',
    params: org(f),
    query: { project_id: f.projectId },
  }),
  'GET /dashboard/api/orgs/:org_id/stats/export': (f) => ({
    auth: 'session',
    params: org(f),
    query: { pixel_id: f.pixelId, property: 'page' },
  }),
  'GET /dashboard/api/apps': () => ({ auth: 'session' }),
  'POST /dashboard/api/apps': () => ({ auth: 'session', body: { name: 'hostile app' }, baseStatus: 201 }),
  'POST /dashboard/api/apps/:app_id/rotate': (f) => ({ auth: 'session', params: { app_id: f.appId } }),
  'DELETE /dashboard/api/apps/:app_id': (f) => ({
    auth: 'session',
    params: { app_id: f.spareAppId },
    fresh: async (t, f) => ({ spareAppId: (await createApp(t, f.owner)).appId }),
  }),

  'GET /api/v1/events_schema': () => ({ auth: 'data', query: { source: 'pixel' } }),
  'GET /api/v2/events_schema': () => ({ auth: 'data', query: { source: 'pixel' } }),
  'GET /api/v1/events': (f) => ({ auth: 'data', query: events(f) }),
  'GET /api/v1/event_counts': (f) => ({ auth: 'data', query: events(f) }),
  'GET /api/v2/events': (f) => ({ auth: 'data', query: events(f) }),
  'GET /api/v2/event_counts': (f) => ({ auth: 'data', query: events(f) }),
  'GET /api/v2/events/export': (f) => ({ auth: 'data', query: { ...events(f), format: 'csv' } }),

  'GET /api/v1/stats/aggregate': (f) => ({
    auth: 'data',
    query: { pixel_id: f.pixelId, period: '7d', metrics: 'visitors,bounce_rate', compare: 'previous_period', filters: 'page:eq:/x' },
  }),
  'GET /api/v1/stats/timeseries': (f) => ({
    auth: 'data',
    query: { project_id: f.projectId, period: 'custom', date: '2026-01-01,2026-01-31' },
  }),
  'GET /api/v1/stats/breakdown': (f) => ({ auth: 'data', query: { pixel_id: f.pixelId, property: 'source', limit: '5', page: '2' } }),
  'GET /api/v1/stats/realtime/visitors': (f) => ({ auth: 'data', query: { pixel_id: f.pixelId } }),
  'GET /api/v1/lookup': () => ({ auth: 'data', query: { email: 'nobody-here@example.com' }, baseStatus: 404 }),
  'GET /api/v1/identities/:hem_sha256': () => ({ auth: 'data', params: { hem_sha256: 'ab'.repeat(32) }, baseStatus: 404 }),
  'DELETE /api/v1/identities/:hem_sha256/links/:visitor_id': () => ({
    auth: 'data',
    params: { hem_sha256: 'ab'.repeat(32), visitor_id: 'nobody' },
    baseStatus: 404,
  }),
  'DELETE /api/v1/identities/:hem_sha256': () => ({ auth: 'data', params: { hem_sha256: 'cd'.repeat(32) }, baseStatus: 404 }),
  'DELETE /api/v1/identities': () => ({ auth: 'data', query: { email: 'nobody-here@example.com' }, baseStatus: 404 }),
  'GET /api/v1/intent': (f) => ({ auth: 'data', query: { hem: f.personHem, window_days: '7' } }),
  'GET /api/v1/intent/explain': () => ({
    auth: 'data',
    query: { company_domain: 'hostile.example', topic_id: 'iab_ct_620', window_days: '3' },
  }),
  'GET /dashboard/api/orgs/:org_id/people/:hem_sha256/intent': (f) => ({
    auth: 'session',
    params: { ...org(f), hem_sha256: f.personHem },
    query: { window_days: '14' },
  }),
  'GET /dashboard/api/orgs/:org_id/topics': (f) => ({
    auth: 'session',
    params: org(f),
    query: { search: 'cloud', topic_type: 'B2B', category_id: f.categoryId, limit: '5', offset: '0' },
  }),
  'GET /dashboard/api/orgs/:org_id/topic-categories': (f) => ({ auth: 'session', params: org(f) }),
  'GET /dashboard/api/orgs/:org_id/topic-requests': (f) => ({ auth: 'session', params: org(f), query: { status: 'waiting_for_approval' } }),
  'POST /dashboard/api/orgs/:org_id/topic-requests': (f) => ({
    auth: 'session',
    params: org(f),
    body: { name: 'Hostile dashboard topic', description: 'From the hostile-input suite.', keywords: ['hostile'], topic_type: 'B2C' },
    baseStatus: 201,
  }),
  'GET /api/v1/field-catalog': () => ({ auth: 'data', query: { include_options: 'true', schema_type: 'audience' } }),
  'GET /taxonomy/categories': () => ({ auth: 'data', query: { limit: '5', search: 'tech' } }),
  'GET /taxonomy/categories/count': () => ({ auth: 'data', query: { status: 'active' } }),
  'GET /taxonomy/categories/:category_id': (f) => ({ auth: 'data', params: { category_id: f.categoryId } }),
  'GET /taxonomy/subcategories': (f) => ({ auth: 'data', query: { category_id: f.categoryId, limit: '5' } }),
  'GET /taxonomy/subcategories/count': (f) => ({ auth: 'data', query: { category_id: f.categoryId } }),
  'GET /taxonomy/subcategories/:subcategory_id': (f) => ({ auth: 'data', params: { subcategory_id: f.subcategoryId } }),
  'GET /taxonomy/topics': (f) => ({ auth: 'data', query: { category_id: f.categoryId, topic_type: 'B2B', search: 'cloud', limit: '5' } }),
  'GET /taxonomy/topics/count': (f) => ({ auth: 'data', query: { subcategory_id: f.subcategoryId, topic_type: 'B2C' } }),
  'GET /taxonomy/topics/:topic_id': () => ({ auth: 'data', params: { topic_id: 'iab_ct_620' } }),
  'POST /taxonomy/topic-requests': () => ({
    auth: 'data',
    body: { name: 'Hostile topic', description: 'From the hostile-input suite.', keywords: ['hostile'], topic_type: 'B2B' },
    baseStatus: 201,
  }),
  'GET /taxonomy/topic-requests': () => ({ auth: 'data', query: { status: 'waiting_for_approval', limit: '5' } }),
  'GET /taxonomy/topic-requests/count': () => ({ auth: 'data', query: { status: 'accepted' } }),
  'GET /taxonomy/topic-requests/:topic_request_id': (f) => ({ auth: 'data', params: { topic_request_id: f.topicRequestId } }),
  'PUT /taxonomy/topic-requests/:topic_request_id': (f) => ({
    auth: 'data',
    params: { topic_request_id: f.topicRequestId },
    body: { name: 'Renamed topic', keywords: ['renamed'], topic_type: 'B2C' },
  }),
  'GET /taxonomy/topic-reviews/:topic_id': (f) => ({ auth: 'data', params: { topic_id: f.topicId } }),
  'GET /taxonomy/core/api/intent/topic/get': (f) => ({ auth: 'partner', headers: { organization_id: f.owner.orgId } }),
  'GET /admin/v1/topic-requests': () => ({ auth: 'admin', query: { status: 'accepted', limit: '5' } }),
  'POST /admin/v1/topic-requests/:topic_request_id/accept': (f) => ({
    auth: 'admin',
    params: { topic_request_id: f.reviewRequestId },
    body: { note: 'ok' },
    fresh: async (t, f) => ({ reviewRequestId: await newTopicRequest(t, f) }),
  }),
  'POST /admin/v1/topic-requests/:topic_request_id/reject': (f) => ({
    auth: 'admin',
    params: { topic_request_id: f.reviewRequestId },
    body: { note: 'no' },
    fresh: async (t, f) => ({ reviewRequestId: await newTopicRequest(t, f) }),
  }),
  'POST /api/v1/identities/import': () => ({ auth: 'data', raw: IMPORT_CSV, baseStatus: 202 }),
  'GET /api/v1/identities/imports/:import_id': (f) => ({ auth: 'data', params: { import_id: f.importId } }),
  'POST /dashboard/api/orgs/:org_id/identities/import': (f) => ({ auth: 'session', params: org(f), raw: IMPORT_CSV, baseStatus: 202 }),
  'GET /dashboard/api/orgs/:org_id/identities/imports': (f) => ({ auth: 'session', params: org(f), query: { limit: '5' } }),
  'GET /dashboard/api/orgs/:org_id/identities/imports/:import_id': (f) => ({
    auth: 'session',
    params: { ...org(f), import_id: f.importId },
  }),

  'POST /api/v1/audiences': (f) => ({ auth: 'data', headers: { 'x-project-id': f.projectId }, body: AUDIENCE, baseStatus: 201 }),
  'GET /api/v1/audiences': (f) => ({ auth: 'data', query: { project_id: f.projectId } }),
  'GET /api/v1/audiences/:audience_id': (f) => ({
    auth: 'data',
    params: { audience_id: f.audienceId },
    headers: { 'x-project-id': f.projectId },
  }),
  'PATCH /api/v1/audiences/:audience_id': (f) => ({
    auth: 'data',
    params: { audience_id: f.audienceId },
    query: { project_id: f.projectId },
    body: { name: 'renamed', description: 'd', intent_window_days: 3, refresh_schedule: 'weekly' },
  }),
  'DELETE /api/v1/audiences/:audience_id': (f) => ({
    auth: 'data',
    params: { audience_id: f.spareAudienceId },
    baseStatus: 204,
    fresh: async (t, f) => ({ spareAudienceId: await newAudience(t, f) }),
  }),
  'POST /api/v1/audiences/:audience_id/refresh': (f) => ({
    auth: 'data',
    params: { audience_id: f.audienceId },
    headers: { 'x-project-id': f.projectId },
  }),
  'POST /api/v1/audiences/:audience_id/pause': (f) => ({
    auth: 'data',
    params: { audience_id: f.spareAudienceId },
    fresh: async (t, f) => ({ spareAudienceId: await newAudience(t, f) }),
  }),
  'POST /api/v1/audiences/:audience_id/resume': (f) => ({
    auth: 'data',
    params: { audience_id: f.spareAudienceId },
    fresh: async (t, f) => ({ spareAudienceId: await newAudience(t, f, true) }),
  }),
  'GET /api/v1/audiences/:audience_id/sample': (f) => ({ auth: 'data', params: { audience_id: f.audienceId }, query: { limit: '5' } }),
  'GET /api/v1/audiences/:audience_id/download': (f) => ({
    auth: 'data',
    params: { audience_id: f.audienceId },
    query: { project_id: f.projectId, record_limit: '10', format: 'ndjson' },
  }),
  'GET /audiences/:audience_id/download': (f) => ({
    auth: 'data',
    params: { audience_id: f.audienceId },
    query: { project_id: f.projectId },
  }),
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences': (f) => ({
    auth: 'session',
    params: projectOf(f),
    body: AUDIENCE,
    baseStatus: 201,
  }),
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences': (f) => ({ auth: 'session', params: projectOf(f) }),
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.audienceId },
  }),
  'PATCH /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.audienceId },
    body: { name: 'renamed', filter: AUDIENCE.filter },
  }),
  'DELETE /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.spareAudienceId },
    baseStatus: 204,
    fresh: async (t, f) => ({ spareAudienceId: await newAudience(t, f) }),
  }),
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/refresh': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.audienceId },
  }),
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/pause': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.spareAudienceId },
    fresh: async (t, f) => ({ spareAudienceId: await newAudience(t, f) }),
  }),
  'POST /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/resume': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.spareAudienceId },
    fresh: async (t, f) => ({ spareAudienceId: await newAudience(t, f, true) }),
  }),
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/sample': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.audienceId },
    query: { limit: '3' },
  }),
  'GET /dashboard/api/orgs/:org_id/projects/:project_id/audiences/:audience_id/download': (f) => ({
    auth: 'session',
    params: { ...projectOf(f), audience_id: f.audienceId },
    query: { record_limit: '1', format: 'csv' },
  }),

  'OPTIONS /pixel/core/api/*': () => ({ auth: 'none', params: { '*': 'send-event' }, baseStatus: 204 }),
  'POST /pixel/core/api/send-event': (f) => ({
    auth: 'none',
    body: {
      event_type: 'page_view',
      pixel_id: f.pixelId,
      organization_id: f.owner.orgId,
      event_url: 'https://site.example/',
      ts: Date.now(),
      event_id: 'hostile-event-1',
      user_agent: BROWSER,
      ip: '203.0.113.9',
    },
    bodySchema: EVENT_SCHEMA,
    bodyLimit: INGEST_LIMITS.bodyBytes,
  }),
  'GET /pixel/core/api/send-event/get': (f) => ({
    auth: 'none',
    query: {
      event_type: 'page_view',
      event_data: '{}',
      organization_id: f.owner.orgId,
      pixel_id: f.pixelId,
      event_url: 'https://site.example/',
      event_id: 'hostile-get-1',
      user_agent: BROWSER,
      ip: '2001:db8::7',
    },
  }),
  'GET /pixel/core/api/sync': () => ({ auth: 'none', query: { client_id: 'partner-1', client_uid: 'u-1' } }),
  'GET /pixels/:pixel_id/p.js': (f) => ({ auth: 'none', params: { pixel_id: f.pixelId } }),
};

/** Strings that are odd but well formed: a route may accept them, never crash on them. */
const ODD_TEXT: Record<string, string> = {
  emoji: '🚀 launch 👩🏽‍💻',
  'RTL override': '\u202Eevil\u202C name',
  NUL: 'a\u0000b',
  'zero-width': 'a\u200bb\ufeffc',
  combining: 'e\u0301\u0301\u0301',
  'lone surrogate': 'x\ud800y',
  'control characters': '\u0007\u001b[31mred',
  'SQL quote': "x' OR '1'='1",
  'path traversal': '../../etc/passwd',
};

/** Path parameter values, already URL-encoded; no route has an object by these ids. */
const ODD_PARAMS: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(ODD_TEXT)
      .filter(([k]) => k !== 'lone surrogate')
      .map(([k, v]) => [k, encodeURIComponent(v)]),
  ),
  'encoded slash': '..%2F..%2Fadmin',
  'bad percent-encoding': '%E0%A4%A',
  'encoded lone surrogate': '%ED%A0%80',
  '150 characters': 'a'.repeat(150),
  '5000 characters': 'a'.repeat(5000),
};

/** JSON values of the wrong type for a field (none of them coercible to the right type). */
function wrongTypes(s: Schema): unknown[] {
  const kind = s.type ?? (s.anyOf ? 'enum' : 'unknown');
  if (kind === 'string') return [{ x: 1 }, ['a', 'b'], []];
  if (kind === 'object') return ['text', 7, [], true];
  if (kind === 'boolean') return [{ x: 1 }, 'maybe', ['a', 'b']];
  if (kind === 'integer' || kind === 'number') return [{ x: 1 }, 'abc', 1.5, ['1', '2']];
  if (kind === 'enum') return [{ x: 1 }, 'superuser', ['a', 'b'], 7];
  if (kind === 'array') return ['text', 7, { x: 1 }, true, ...wrongTypes(s.items ?? {}).map((item) => [item])];
  throw new Error(`no wrong types for schema ${JSON.stringify(s)}`);
}

interface Field {
  path: string[];
  schema: Schema;
  required: boolean;
}

function fieldsOf(schema: Schema, prefix: string[] = []): Field[] {
  const out: Field[] = [];
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    const path = [...prefix, name];
    out.push({ path, schema: s, required: schema.required?.includes(name) ?? false });
    if (s.type === 'object' && s.properties) out.push(...fieldsOf(s, path));
  }
  return out;
}

/** Stands for "leave this field out" in withField. */
const REMOVE = Symbol('remove');

/** A copy of `body` with the field at `path` set to `value` (or removed). */
function withField(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return copy;
}

/** A request: path pattern with encoded params, query pairs, headers (arrays = sent more than once). */
interface Req {
  method: string;
  pattern: string;
  params: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
}

/** `reject`: 4xx with a JSON error. `survive`: any answer but a 5xx, and a JSON error if it fails. */
type Expectation = 'reject' | 'survive' | 401 | 413;

interface Variant {
  label: string;
  req: Req;
  expect: Expectation;
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) becomes its CESU-8 bytes. */
const enc = (s: string): string =>
  s
    .split(/([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/)
    .map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');

const urlOf = (r: Req): string => {
  const path = r.pattern.replace(/:(\w+)|\*/g, (m, name: string | undefined) => r.params[name ?? '*'] ?? m);
  const qs = r.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return qs ? `${path}?${qs}` : path;
};

/** Header values travel as bytes; a non-ASCII value arrives as its UTF-8 bytes read as latin1. */
const asHeader = (v: string) => Buffer.from(v, 'utf8').toString('latin1');

const AUTH_BOGUS: Record<string, string> = {
  cookie: 'dlvr_session=bogus',
  'x-csrf-token': 'bogus',
  'x-api-key': `dlvr_${'0'.repeat(48)}`,
  'x-api-secret': '0'.repeat(64),
  authorization: 'Bearer bogus',
  'x-delivr-client-id': 'client_000000000000000000000000',
  'x-delivr-client-secret': 'secret_000000000000000000000000000000000000000000000000',
};

function authHeaders(auth: Auth, f: Fixtures, method: string, session: Session): Record<string, string> {
  const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
  switch (auth) {
    case 'none':
      return {};
    case 'session':
      return method === 'GET' ? { cookie: session.cookie } : dash(session);
    case 'data':
      return { 'x-api-key': f.key.apiKey, 'x-api-secret': f.key.apiSecret };
    case 'jwt':
      return bearer(f.dataJwt);
    case 'platform':
      return bearer(f.platformJwt);
    case 'partner':
      return { ...bearer(f.platformJwt), 'x-delivr-client-id': f.app.clientId, 'x-delivr-client-secret': f.app.clientSecret };
    case 'admin':
      return bearer(ADMIN_TOKEN);
  }
}

function variantsOf(route: string, c: Case, f: Fixtures, spec: OpenApi, bodyLimit: number): { base: Req; variants: Variant[] } {
  const [method, pattern] = route.split(' ') as [string, string];
  const op = spec.paths[pattern.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
  const auth = authHeaders(c.auth, f, method, c.spareSession ? f.spareSession : f.owner.session);
  const jsonType = { 'content-type': 'application/json' };
  const base: Req = {
    method,
    pattern,
    params: Object.fromEntries(Object.entries(c.params ?? {}).map(([k, v]) => [k, k === '*' ? v : encodeURIComponent(v)])),
    query: Object.entries(c.query ?? {}),
    headers: {
      'user-agent': BROWSER,
      ...auth,
      ...(c.headers ?? {}),
      ...(c.body === undefined ? {} : jsonType),
      ...(c.raw ? { 'content-type': c.raw.type } : {}),
    },
    ...(c.body === undefined ? {} : { payload: JSON.stringify(c.body) }),
    ...(c.raw ? { payload: c.raw.payload } : {}),
  };
  const v: Variant[] = [];
  const add = (label: string, expect: Expectation, change: Partial<Req>) => v.push({ label, expect, req: { ...base, ...change } });
  const headersWith = (h: Record<string, string | string[] | undefined>) => {
    const out: Record<string, string | string[]> = { ...base.headers };
    for (const [k, val] of Object.entries(h)) {
      if (val === undefined) delete out[k];
      else out[k] = val;
    }
    return out;
  };

  // Credentials: missing, repeated, garbled.
  if (c.auth !== 'none') {
    add('no credentials', 401, { headers: headersWith(Object.fromEntries(Object.keys(auth).map((k) => [k, undefined]))) });
    for (const [name, valid] of Object.entries(auth)) {
      const bogus = AUTH_BOGUS[name] as string;
      add(`${name} sent twice, bogus first`, 'reject', { headers: headersWith({ [name]: [bogus, valid] }) });
      // Cookies are the exception: with one name twice, the first wins (RFC 6265 clients order them).
      if (name !== 'cookie') add(`${name} sent twice, valid first`, 'reject', { headers: headersWith({ [name]: [valid, bogus] }) });
      add(`${name} empty`, 'reject', { headers: headersWith({ [name]: '' }) });
      add(`${name} garbled`, 'reject', { headers: headersWith({ [name]: asHeader(`${valid.slice(0, 12)}é🚀\u202E`) }) });
    }
  }

  // Scope headers: they name objects, and nothing exists by these names.
  for (const [name, valid] of Object.entries(c.headers ?? {})) {
    add(`${name} header sent twice`, 'reject', { headers: headersWith({ [name]: [valid, randomUUID()] }) });
    for (const [label, text] of Object.entries(ODD_TEXT)) {
      add(`${name} header ${label}`, 'reject', { headers: headersWith({ [name]: asHeader(text) }) });
    }
    add(`${name} header 5000 characters`, 'reject', { headers: headersWith({ [name]: 'a'.repeat(5000) }) });
  }

  // Path parameters.
  for (const name of Object.keys(c.params ?? {})) {
    for (const [label, value] of Object.entries(ODD_PARAMS)) {
      // A wildcard matches any path by design (the web app's client-side routes, static files).
      add(`path ${name}: ${label}`, name === '*' ? 'survive' : 'reject', { params: { ...base.params, [name]: value } });
    }
  }

  // Query parameters, from the route's schema.
  const queryParams = (op?.parameters ?? []).filter((p) => p.in === 'query');
  const setQuery = (name: string, values: string[] | null): [string, string][] => [
    ...base.query.filter(([k]) => k !== name),
    ...(values ?? []).map((x): [string, string] => [name, x]),
  ];
  for (const p of queryParams) {
    if (p.required) add(`query ${p.name} missing`, 'reject', { query: setQuery(p.name, null) });
    const current = c.query?.[p.name] ?? 'a';
    add(`query ${p.name} repeated`, 'reject', { query: setQuery(p.name, [current, current]) });
    const kind = p.schema.type ?? (p.schema.anyOf ? 'enum' : 'unknown');
    if (kind === 'integer') {
      for (const bad of ['abc', '1.5', '-1', '99999999999999999999', ''])
        add(`query ${p.name}=${bad}`, 'reject', { query: setQuery(p.name, [bad]) });
    } else if (kind === 'enum') {
      for (const bad of ['superuser', '']) add(`query ${p.name}=${bad}`, 'reject', { query: setQuery(p.name, [bad]) });
    } else {
      for (const [label, text] of Object.entries(ODD_TEXT)) add(`query ${p.name} ${label}`, 'survive', { query: setQuery(p.name, [text]) });
      if (p.schema.maxLength !== undefined) {
        add(`query ${p.name} over maxLength`, 'reject', { query: setQuery(p.name, ['a'.repeat(p.schema.maxLength + 1)]) });
      }
    }
  }
  add('unknown query parameters', 'survive', { query: [...base.query, ['\u0000', '\u0000'], ['x🚀', '\u202E'], ['__proto__', '1']] });
  add('100 kB query string', 'survive', { query: [...base.query, ['junk', 'j'.repeat(100_000)]] });

  // Bodies.
  if (method === 'GET') {
    add('a body on a GET', 'survive', { headers: headersWith(jsonType), payload: '{"a":' });
  } else if (method !== 'OPTIONS') {
    add('broken JSON', 'reject', { headers: headersWith(jsonType), payload: '{"name": "x",' });
    add('empty JSON body', 'reject', { headers: headersWith(jsonType), payload: '' });
    add('__proto__ in JSON', 'reject', { headers: headersWith(jsonType), payload: '{"__proto__": {"admin": true}, "name": "x"}' });
    const limit = c.bodyLimit ?? bodyLimit;
    add('body over the limit', 413, { headers: headersWith(jsonType), payload: JSON.stringify({ name: 'x'.repeat(limit) }) });
    add('XML', 'reject', { headers: headersWith({ 'content-type': 'application/xml' }), payload: '<name>x</name>' });
    add('form', 'reject', { headers: headersWith({ 'content-type': 'application/x-www-form-urlencoded' }), payload: 'name=x' });
    add('multipart', 'reject', {
      headers: headersWith({ 'content-type': 'multipart/form-data; boundary=b' }),
      payload: '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n',
    });
    add('JSON labelled as text', c.body === undefined ? 'survive' : 'reject', {
      headers: headersWith({ 'content-type': 'text/plain' }),
      payload: 'not json at all',
    });
  }
  // Uploads that are not JSON (identity import): broken headers, odd cells, wrong labels, oversize.
  if (c.raw) {
    const as = (type: string, payload: string | Buffer) => ({ headers: headersWith({ 'content-type': type }), payload });
    const csv = (payload: string | Buffer) => as('text/csv', payload);
    add('import: unknown column', 'reject', csv('email,shoe_size\na@b.example,44\n'));
    add('import: no column identifies the rows', 'reject', csv('first_name\nAnn\n'));
    add('import: a column named twice', 'reject', csv('email,EMAIL\na@b.example,a@b.example\n'));
    add('import: empty body', 'reject', csv(''));
    add('import: NUL in the header', 'reject', csv('email,first\u0000name\na@b.example,x\n'));
    add('import: binary garbage', 'reject', csv(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x0a, 0xc3, 0x28, 0x0a])));
    add('import: NDJSON labelled as CSV', 'reject', csv('{"email":"a@b.example"}\n'));
    add('import: CSV labelled as NDJSON', 'reject', as('application/x-ndjson', 'email\na@b.example\n'));
    add('import: a first line longer than the limit', 'reject', csv(`email,${'a'.repeat(IMPORT_LIMIT)}`));
    add('import: over IMPORT_MAX_BYTES', 413, csv(`email\n${'a@b.example\n'.repeat(IMPORT_LIMIT / 10)}`));
    add('import: header only', 'survive', csv('email\n'));
    add('import: charset parameter', 'survive', as('text/csv; charset=utf-8', c.raw.payload));
    add('import: unclosed quote', 'survive', csv('email,first_name\n"a@b.example,Ann\nb@b.example,Bo\n'));
    add('import: rows of the wrong width and empty lines', 'survive', csv('email,first_name\n\n\na@b.example\n,,,,\n'));
    add('import: NDJSON lines that are not objects', 'survive', as('application/x-ndjson', '{"email":"a@b.example"}\n[1]\n"x"\nnull\n{\n'));
    for (const [label, text] of Object.entries(ODD_TEXT)) {
      add(
        `import: cell ${label}`,
        'survive',
        csv(`email,first_name,visitor_id\nodd@example.com,"${text.replaceAll('"', '""')}","${text.replaceAll('"', '""')}"\n`),
      );
      add(`import: header ${label}`, 'reject', csv(`email,${text.replaceAll(',', ';')}\nodd@example.com,x\n`));
    }
  }
  const bodySchema = c.bodySchema ?? op?.requestBody?.content?.['application/json']?.schema;
  if (c.body !== undefined) {
    expect(bodySchema, `${route}: no body schema`).toBeDefined();
    for (const top of ['null', '[]', '"text"', '7', 'true']) add(`body is ${top}`, 'reject', { payload: top });
    for (const field of fieldsOf(bodySchema as Schema)) {
      const at = field.path.join('.');
      const body = (value: unknown) => JSON.stringify(withField(c.body as Record<string, unknown>, field.path, value));
      if (field.required) add(`body ${at} missing`, 'reject', { payload: body(REMOVE) });
      for (const wrong of wrongTypes(field.schema)) add(`body ${at} = ${JSON.stringify(wrong)}`, 'reject', { payload: body(wrong) });
      if (field.schema.minimum !== undefined) add(`body ${at} below minimum`, 'reject', { payload: body(field.schema.minimum - 1) });
      if (field.schema.maximum !== undefined) add(`body ${at} above maximum`, 'reject', { payload: body(field.schema.maximum + 1) });
      if (field.schema.nullable) add(`body ${at} = null`, 'survive', { payload: body(null) });
      if (field.schema.type === 'string') {
        for (const [label, text] of Object.entries(ODD_TEXT)) add(`body ${at} ${label}`, 'survive', { payload: body(text) });
        if (field.schema.maxLength !== undefined) {
          add(`body ${at} over maxLength`, 'reject', { payload: body('a'.repeat(field.schema.maxLength + 1)) });
        }
      }
      if (field.schema.type === 'array' && field.schema.items?.type === 'string') {
        for (const [label, text] of Object.entries(ODD_TEXT)) add(`body ${at} item ${label}`, 'survive', { payload: body([text]) });
        if (field.schema.maxItems !== undefined) {
          add(`body ${at} over maxItems`, 'reject', { payload: body(Array.from({ length: field.schema.maxItems + 1 }, () => 'spa')) });
        }
      }
    }
  }
  return { base, variants: v };
}

const ANSWER_WITHIN_MS = 5000;

async function send(t: TestApp, r: Req, label: string): Promise<Res> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
  });
  try {
    return await Promise.race([
      t.app.inject({
        method: r.method as 'GET',
        url: urlOf(r),
        headers: r.headers,
        ...(r.payload === undefined ? {} : { payload: r.payload }),
      }),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function check(res: Res, v: Variant, route: string) {
  const what = `${route} — ${v.label}: ${res.statusCode} ${res.body.slice(0, 200)}`;
  expect(res.statusCode, what).toBeLessThan(500);
  if (v.expect === 'survive' && res.statusCode < 400) return;
  if (typeof v.expect === 'number') expect(res.statusCode, what).toBe(v.expect);
  expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
  expect(String(res.headers['content-type']), what).toMatch(/^application\/json/);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`${what}: the body is not JSON`);
  }
  expect(typeof (body as { error?: unknown }).error, what).toBe('string');
}

const backends: [string, Record<string, string>, (() => Promise<void>) | undefined][] = [['sqlite', {}, undefined]];
const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  const db = `delivr_hostile_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const url = new URL(pgUrl);
  url.pathname = `/${db}`;
  backends.push([
    'postgres',
    { DATABASE_URL: url.toString() },
    async () => {
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
    },
  ]);
} else {
  console.log('hostile-input: TEST_DATABASE_URL is not set; running on SQLite only');
}

describe.each(backends)('on %s', (name, env, cleanup) => {
  let t: TestApp;
  let f: Fixtures;
  let spec: OpenApi;

  beforeAll(async () => {
    if (name === 'postgres' && pgUrl) {
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${new URL(env.DATABASE_URL as string).pathname.slice(1)}`);
      await admin.end();
    }
    t = await makeTestApp({
      ...env,
      BODY_LIMIT_BYTES: '16384',
      IMPORT_MAX_BYTES: String(IMPORT_LIMIT),
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
      LOGIN_MAX_FAILURES: '100000',
      LIMIT_RESET_MAIL_PER_ADDRESS: '1000000/second',
      LIMIT_RESET_MAIL_PER_SOURCE: '1000000/second',
      LIMIT_SIGNUP_PER_SOURCE: '1000000/second',
      LIMIT_DASHBOARD_PER_USER: '1000000/second',
      LIMIT_PARTNER_PER_USER: '1000000/second',
      LIMIT_WRONG_SECRET_PER_SOURCE: '1000000/second',
    });
    spec = t.app.swagger() as unknown as OpenApi;
    f = await fixtures(t);
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  it('has a case for every route the app serves, and no case for a route it does not', () => {
    const routes = appRoutes(t.app);
    expect(routes.length).toBeGreaterThan(40);
    expect(
      routes.filter((r) => !(r in CASES)),
      'routes without a hostile-input case',
    ).toEqual([]);
    expect(
      Object.keys(CASES).filter((k) => !routes.includes(k)),
      'cases for routes that no longer exist',
    ).toEqual([]);
  });

  it.each(Object.keys(CASES))(
    '%s',
    async (route) => {
      const make = CASES[route] as (f: Fixtures) => Case;
      const c = make(f);
      const build = async () => {
        const ff = c.fresh ? { ...f, ...(await c.fresh(t, f)) } : f;
        return variantsOf(route, make(ff), ff, spec, t.services.config.bodyLimitBytes);
      };
      let built = await build();
      expect(built.variants.length).toBeGreaterThan(1);
      for (let i = 0; i < built.variants.length; i++) {
        if (c.fresh && i > 0) built = await build();
        const v = built.variants[i] as Variant;
        check(await send(t, v.req, v.label), v, route);
      }
      // The unaltered request works, so each variant differed from a valid one in one respect only.
      const { base } = c.fresh ? await build() : built;
      const ok = await send(t, base, 'unaltered request');
      if (c.baseStatus !== undefined) expect(ok.statusCode, ok.body.slice(0, 300)).toBe(c.baseStatus);
      else expect(ok.statusCode, ok.body.slice(0, 300)).toBeLessThan(400);
    },
    90_000,
  );

  it('refuses a bad ip, an over-long user_agent and a bad event_id on both send-event forms, with the reason', async () => {
    const bad: [string, string, RegExp][] = [
      ['ip', '300.1.2.3', /ip must be an IPv4 or IPv6 address/],
      ['ip', '1.2.3.4\u0000', /ip must be an IPv4 or IPv6 address/],
      ['ip', '::ffff:1.2.3.4/24', /ip must be an IPv4 or IPv6 address/],
      ['user_agent', `Mozilla/5.0 ${'x'.repeat(1000)}`, /user_agent is longer than 1000|Invalid parameters/],
      ['event_id', 'id with spaces', /event_id must be 1 to 100 printable ASCII/],
      ['event_id', 'id-\u202e-rtl', /event_id must be 1 to 100 printable ASCII/],
      ['event_id', 'e'.repeat(101), /event_id is longer than 100|Invalid parameters/],
    ];
    const post = CASES['POST /pixel/core/api/send-event']?.(f).body as Record<string, unknown>;
    const get = CASES['GET /pixel/core/api/send-event/get']?.(f).query as Record<string, string>;
    for (const [field, value, reason] of bad) {
      const viaPost = await t.app.inject({
        method: 'POST',
        url: '/pixel/core/api/send-event',
        headers: { 'content-type': 'application/json', 'user-agent': BROWSER },
        payload: { ...post, [field]: value },
      });
      const viaGet = await t.app.inject({ url: `/pixel/core/api/send-event/get?${new URLSearchParams({ ...get, [field]: value })}` });
      for (const [form, res] of [
        ['POST', viaPost],
        ['GET', viaGet],
      ] as const) {
        const what = `${form} ${field}=${JSON.stringify(value).slice(0, 40)}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect(res.statusCode, what).toBe(400);
        const body = JSON.parse(res.body) as { error: string; details?: string };
        expect(`${body.error} ${body.details ?? ''}`, what).toMatch(reason);
      }
    }
  });

  // Issue 15: each of these answered 500 (and the deep batch lost its good events, the CR/LF redirect
  // stored its event first).
  const dataHeaders = () => ({ 'x-api-key': f.key.apiKey, 'x-api-secret': f.key.apiSecret });
  const storedOfType = async (type: string): Promise<number> => {
    const q = new URLSearchParams({ source: 'pixel', pixel_id: f.pixelId, ...f.range, filter: `event_type:eq:${type}` });
    const res = await t.app.inject({ url: `/api/v2/event_counts?${q}`, headers: dataHeaders() });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ count: number }>(res).count;
  };

  it('a like pattern ending in a lone backslash is a 400 with the reason, on every events route', async () => {
    for (const pattern of ['\\', 'abc\\', 'a\\bc']) {
      const q = new URLSearchParams({ source: 'pixel', pixel_id: f.pixelId, ...f.range, filter: `url:like:${pattern}` });
      for (const url of [
        `/api/v2/events?${q}`,
        `/api/v1/events?${q}`,
        `/api/v2/event_counts?${q}`,
        `/api/v2/events/export?${q}`,
        `${D}/orgs/${f.owner.orgId}/events?${q}`,
      ]) {
        const headers = url.startsWith(D) ? dash(f.owner.session) : dataHeaders();
        const res = await t.app.inject({ url, headers });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
        expect(res.json()).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
        expect(res.json().details).toMatch(/like pattern for "url": (it ends with a lone \\|\\ escapes only %, _ and \\)/);
      }
    }
  });

  it('a stats filter takes the same like bounds: a lone backslash or too many wildcards is a 400 on every stats route', async () => {
    const stats = (path: string, filters: string) => {
      const q = new URLSearchParams({ pixel_id: f.pixelId, property: 'page', filters });
      const dashboard = { url: `${D}/orgs/${f.owner.orgId}/stats/${path}?${q}`, headers: dash(f.owner.session) };
      // The CSV export is the dashboard's only.
      return path === 'export' ? [dashboard] : [{ url: `/api/v1/stats/${path}?${q}`, headers: dataHeaders() }, dashboard];
    };
    for (const [filters, reason] of [
      ['page:like:abc\\', /like pattern for "page": (it ends with a lone \\|\\ escapes only %, _ and \\)/],
      [`page:like:${'%_'.repeat(9)}`, /like pattern for "page": more than 16 wildcards/],
    ] as const) {
      for (const path of ['aggregate', 'timeseries', 'breakdown', 'export']) {
        for (const req of stats(path, filters)) {
          const res = await t.app.inject(req);
          expect(res.statusCode, `${req.url}: ${res.body}`).toBe(400);
          expect(res.json().details).toMatch(reason);
        }
      }
    }
    // The shape that made DuckDB's LIKE backtrack for seconds answers at once (it runs as RE2).
    for (const req of stats('breakdown', 'page:like:%_%_%_%_%_zz')) {
      const res = await t.app.inject(req);
      expect(res.statusCode, res.body).toBe(200);
    }
  });

  it('a 5,000-deep event_data is refused with its index and the batch keeps its good events, as JSON and as text/plain', async () => {
    // Built as text: JSON.stringify itself overflows on such an object (which is what answered 500).
    const deep = (n: number): string => `${'{"d":'.repeat(n)}"bottom"${'}'.repeat(n)}`;
    const base = CASES['POST /pixel/core/api/send-event']?.(f).body as Record<string, unknown>;
    for (const [i, contentType] of ['application/json', 'text/plain'].entries()) {
      const type = `deep_batch_${name}_${i}`;
      const good = (k: number) => JSON.stringify({ ...base, event_type: type, event_id: `deep-good-${name}-${i}-${k}` });
      const bad = `${JSON.stringify({ ...base, event_type: type, event_id: `deep-bad-${name}-${i}` }).slice(0, -1)},"event_data":${deep(5000)}}`;
      const batch = `{"events":[${good(0)},${bad},${good(2)}]}`;
      const res = await t.app.inject({
        method: 'POST',
        url: '/pixel/core/api/send-event',
        headers: { 'content-type': contentType, 'user-agent': BROWSER },
        payload: batch,
      });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      expect(res.json()).toMatchObject({
        accepted: 2,
        rejected: [{ index: 1, reason: `event_data is nested deeper than ${INGEST_LIMITS.eventDataDepth} levels` }],
      });
      expect(await storedOfType(type)).toBe(2);
      // Alone, the same event is a 400 with the documented body.
      const alone = await t.app.inject({
        method: 'POST',
        url: '/pixel/core/api/send-event',
        headers: { 'content-type': contentType, 'user-agent': BROWSER },
        payload: bad,
      });
      expect(alone.statusCode).toBe(400);
      expect(alone.json()).toEqual({
        error: 'No valid events in the request.',
        code: 'no_valid_events',
        details: `event_data is nested deeper than ${INGEST_LIMITS.eventDataDepth} levels`,
      });
    }
    // The GET form carries event_data as JSON text.
    const get = CASES['GET /pixel/core/api/send-event/get']?.(f).query as Record<string, string>;
    const viaGet = await t.app.inject({
      url: `/pixel/core/api/send-event/get?${new URLSearchParams({ ...get, event_id: `deep-get-${name}`, event_data: deep(5000) })}`,
    });
    expect([400, 414]).toContain(viaGet.statusCode);
    expect(viaGet.json()).toHaveProperty('code');
  });

  it('a redirect target with CR/LF (or other control characters) is a 400 and stores nothing', async () => {
    await t.app.inject({
      method: 'PATCH',
      url: `${D}/orgs/${f.owner.orgId}/pixels/${f.pixelId}`,
      headers: dash(f.owner.session),
      payload: { redirect_hosts: ['partner.example'] },
    });
    const get = CASES['GET /pixel/core/api/send-event/get']?.(f).query as Record<string, string>;
    const type = `crlf_${name}`;
    for (const redir of ['https://partner.example/x\r\nSet-Cookie: a=b', 'https://partner.example/\nx', 'https://partner.example/\u0000']) {
      const res = await t.app.inject({
        url: `/pixel/core/api/send-event/get?${new URLSearchParams({ ...get, event_type: type, event_id: `crlf-${randomUUID()}`, redir })}`,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual({
        error: 'Invalid parameters.',
        code: 'invalid_parameters',
        details: 'redir must not contain spaces or control characters',
      });
      expect(res.headers['set-cookie']).toBeUndefined();
      const sync = await t.app.inject({
        url: `/pixel/core/api/sync?${new URLSearchParams({ client_id: f.pixelId, client_uid: 'u-1', redir })}`,
      });
      expect(sync.statusCode).toBe(400);
      expect(sync.json()).toMatchObject({ code: 'invalid_parameters' });
    }
    expect(await storedOfType(type)).toBe(0);
    // A well-formed target on the list still redirects, with the event stored.
    const ok = await t.app.inject({
      url: `/pixel/core/api/send-event/get?${new URLSearchParams({ ...get, event_type: type, event_id: `crlf-ok-${name}`, redir: 'https://partner.example/ok?t=$EVENTTIME' })}`,
    });
    expect(ok.statusCode, ok.body).toBe(302);
    expect(ok.headers.location).toMatch(/^https:\/\/partner\.example\/ok\?t=\d{13}$/);
    expect(await storedOfType(type)).toBe(1);
  });

  it('refuses numbers, booleans and one-element arrays for string body fields (no type coercion of bodies)', async () => {
    const url = `/dashboard/api/orgs/${f.owner.orgId}/projects`;
    for (const name of [42, true, ['x'], null]) {
      const res = await t.app.inject({ method: 'POST', url, headers: dash(f.owner.session), payload: { name } });
      expect(res.statusCode, `${JSON.stringify(name)} → ${res.body}`).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'Invalid parameters.' });
    }
    const login = await t.app.inject({ method: 'POST', url: '/auth/v1/login', payload: { email: 12345, password: ['pw'] } });
    expect(login.statusCode).toBe(400);
    // Query strings stay coerced: limit=5 is the integer 5.
    const ok = await t.app.inject({
      url: `/dashboard/api/orgs/${f.owner.orgId}/api-keys/${f.key.keyId}/access-log?limit=5`,
      headers: dash(f.owner.session),
    });
    expect(ok.statusCode).toBe(200);
  });
});

async function fixtures(t: TestApp): Promise<Fixtures> {
  const owner = await newTenant(t);
  const member = await addMember(t, owner, 'member');
  const post = async (url: string, payload: Record<string, unknown>, headers = dash(owner.session)) => {
    const res = await t.app.inject({ method: 'POST', url, headers, payload });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.body}`);
    return json<Record<string, Record<string, string>>>(res);
  };
  const o = owner.orgId;
  const projectId = (await post(`${D}/orgs/${o}/projects`, { name: 'hostile' })).project?.project_id as string;
  const pixel = async () => (await post(`${D}/orgs/${o}/projects/${projectId}/pixels`, { title: 'p' })).pixel?.pixel_id as string;
  const inviteEmail = `inv-${randomUUID()}@example.com`;
  const invite = async (email = `inv-${randomUUID()}@example.com`) =>
    (await post(`${D}/orgs/${o}/invites`, { email, role: 'member' })).invite?.invite_id as string;
  const dataJwt = await dataToken(t, owner);
  const client = await t.app.inject({
    method: 'POST',
    url: '/client/v1',
    headers: { authorization: `Bearer ${dataJwt}` },
    payload: { name: 'spare' },
  });
  const login = await t.app.inject({ method: 'POST', url: `${D}/session`, payload: { email: owner.email, password: owner.password } });
  const now = Date.now();
  const key = await createKey(t, owner);
  const dataHeaders = { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret };
  const cloud = json<{ response: { category_id: string; subcategory_id: string } }>(
    await t.app.inject({ url: '/taxonomy/topics/iab_ct_620', headers: dataHeaders }),
  ).response;
  const request = await post('/taxonomy/topic-requests', { name: 'Fixture topic', topic_type: 'B2B' }, dataHeaders);
  const personHem = createHash('sha256').update(`person-${randomUUID()}@hostile.example`).digest('hex');
  await t.services.analytics.mergeProfiles(
    owner.orgId,
    [{ hem_sha256: personHem, hem_md5: personHem.slice(0, 32), hem_sha1: null, company_domain: 'hostile.example' }],
    now,
  );
  const imported = await t.app.inject({
    method: 'POST',
    url: '/api/v1/identities/import',
    headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret, 'content-type': IMPORT_CSV.type },
    payload: IMPORT_CSV.payload,
  });
  if (imported.statusCode !== 202) throw new Error(`import: ${imported.body}`);
  const partial = { owner, key, projectId } as Fixtures;
  const audienceId = await newAudience(t, partial);
  await t.services.audienceJobs.runPending();
  return {
    audienceId,
    spareAudienceId: await newAudience(t, partial),
    personHem,
    owner,
    member,
    spareSession: sessionFrom(login),
    key,
    spareKeyId: (await createKey(t, owner, 'spare')).keyId,
    rotateKeyId: (await createKey(t, owner, 'rotating')).keyId,
    dataJwt,
    platformJwt: await platformToken(t, owner),
    app: await createApp(t, owner),
    appId: (await createApp(t, owner)).appId,
    spareAppId: (await createApp(t, owner)).appId,
    clientId: json<{ client_id: string }>(client).client_id,
    projectId,
    spareProjectId: (await post(`${D}/orgs/${o}/projects`, { name: 'spare' })).project?.project_id as string,
    pixelId: await pixel(),
    sparePixelId: await pixel(),
    partnerPixelId: await pixel(),
    inviteId: await invite(inviteEmail),
    inviteEmail,
    spareInviteId: await invite(),
    range: { start_ms: String(now - 3_600_000), end_ms: String(now + 3_600_000) },
    topicRequestId: request.response?.topic_request_id as string,
    reviewRequestId: '',
    topicId: request.response?.topic_id as string,
    categoryId: cloud.category_id,
    subcategoryId: cloud.subcategory_id,
    importId: json<{ import_id: string }>(imported).import_id,
    demoOrgId: '',
  };
}

/** A fresh audience of the owner's project (paused when asked). */
async function newAudience(t: TestApp, f: Fixtures, paused = false): Promise<string> {
  const headers = { 'x-api-key': f.key.apiKey, 'x-api-secret': f.key.apiSecret, 'x-project-id': f.projectId };
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/audiences', headers, payload: AUDIENCE });
  if (res.statusCode !== 201) throw new Error(`audience: ${res.body}`);
  const id = String(json<{ audience: { audience_id: number } }>(res).audience.audience_id);
  if (paused) {
    const p = await t.app.inject({ method: 'POST', url: `/api/v1/audiences/${id}/pause`, headers });
    if (p.statusCode !== 200) throw new Error(`pause: ${p.body}`);
  }
  return id;
}

async function newTopicRequest(t: TestApp, f: Fixtures): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/taxonomy/topic-requests',
    headers: { 'x-api-key': f.key.apiKey, 'x-api-secret': f.key.apiSecret },
    payload: { name: `Fresh topic ${randomUUID()}`, topic_type: 'B2C' },
  });
  return json<{ response: { topic_request_id: string } }>(res).response.topic_request_id;
}

async function newPixel(t: TestApp, f: Fixtures): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `${D}/orgs/${f.owner.orgId}/projects/${f.projectId}/pixels`,
    headers: dash(f.owner.session),
    payload: { title: 'fresh' },
  });
  return json<{ pixel: { pixel_id: string } }>(res).pixel.pixel_id;
}

async function newInvite(t: TestApp, f: Fixtures): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `${D}/orgs/${f.owner.orgId}/invites`,
    headers: dash(f.owner.session),
    payload: { email: `fresh-${randomUUID()}@example.com`, role: 'member' },
  });
  return json<{ invite: { invite_id: string } }>(res).invite.invite_id;
}

async function newClient(t: TestApp, f: Fixtures): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/client/v1',
    headers: { authorization: `Bearer ${f.dataJwt}` },
    payload: { name: 'fresh' },
  });
  return json<{ client_id: string }>(res).client_id;
}

async function newSession(t: TestApp, f: Fixtures): Promise<Session> {
  const res = await t.app.inject({ method: 'POST', url: `${D}/session`, payload: { email: f.owner.email, password: f.owner.password } });
  return sessionFrom(res);
}
