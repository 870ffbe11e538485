// The four ways in, one function each, called at the top of a handler so the credential a route
// needs is visible where it is used:
//  - dataAuth: organization API key + secret (current), key alone (legacy), or a data-API user JWT;
//    applies the per-organization rate limit and the per-key access log.
//  - platformAuth: Partner API platform JWT, plus the app's client id/secret headers.
//  - sessionAuth: dashboard cookie session with CSRF protection on unsafe methods.
//  - adminAuth: the operator's ADMIN_TOKEN.
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App as PartnerApp, Role, User } from '../catalog/store.js';
import { hashToken, safeEqual } from '../platform/crypto.js';
import { ApiError, fail } from '../platform/errors.js';
import { type App, bearerToken, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';

export type DataPrincipal =
  | { kind: 'api_key'; organizationId: string; keyId: string }
  | { kind: 'user_jwt'; organizationId: string; userId: string };

export const SESSION_COOKIE = 'dlvr_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when an API key authenticated the request, so onResponse can write its access log. */
    accessKey: { keyId: string; organizationId: string } | null;
  }
}

export function registerAccessLogHook(app: App, s: Services): void {
  app.decorateRequest('accessKey', null);
  app.addHook('onResponse', async (req, reply) => {
    if (!req.accessKey) return;
    s.accessLog.add({
      key_id: req.accessKey.keyId,
      organization_id: req.accessKey.organizationId,
      method: req.method,
      path: req.url.split('?')[0]?.slice(0, 500) ?? '',
      status: reply.statusCode,
      ts: s.now(),
      ip: req.ip,
    });
  });
}

async function rateLimit(s: Services, organizationId: string, reply: FastifyReply): Promise<void> {
  const r = await s.rateLimiter.take(`org:${organizationId}`);
  reply.header('X-RateLimit-Limit', r.limit);
  reply.header('X-RateLimit-Remaining', r.remaining);
  reply.header('X-RateLimit-Reset', r.resetSeconds);
  if (!r.allowed) throw new ApiError('rate_limited', undefined, { 'Retry-After': String(r.retryAfterSeconds) });
}

/** Data APIs (events, audiences, taxonomy, lookup, /client/v1 reads). */
export async function dataAuth(
  s: Services,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { allowApiKey?: boolean } = {},
): Promise<DataPrincipal> {
  const headerKey = headerValue(req, 'x-api-key');
  const bearer = bearerToken(req);
  const apiKey = headerKey ?? (bearer?.startsWith('dlvr_') ? bearer : undefined);
  let principal: DataPrincipal;
  if (apiKey !== undefined) {
    if (opts.allowApiKey === false) throw fail('forbidden', 'this endpoint needs a user token, not an API key');
    const v = await s.credentials.verify(apiKey, headerValue(req, 'x-api-secret'));
    if (!v.ok) {
      if ('key' in v) req.accessKey = { keyId: v.key.id, organizationId: v.key.organization_id };
      throw fail(v.code);
    }
    req.accessKey = { keyId: v.key.id, organizationId: v.key.organization_id };
    principal = { kind: 'api_key', organizationId: v.key.organization_id, keyId: v.key.id };
  } else if (bearer !== undefined) {
    const claims = await s.tokens.verify('data', bearer);
    if (claims === 'wrong_kind') throw fail('wrong_token_type', 'use the token from POST /auth/v1/login');
    if (!claims) throw fail('invalid_token');
    const user = await s.store.getUser(claims.userId);
    if (!user || user.status !== 'active') throw fail('invalid_token');
    // x-organization-id selects among the user's organizations; default is the one login returned.
    const wanted = headerValue(req, 'x-organization-id') || claims.organizationId;
    if (!wanted) throw fail('forbidden', 'no organization selected');
    if (!(await s.store.getMembership(wanted, user.id))) {
      throw wanted === claims.organizationId ? fail('invalid_token') : fail('organization_not_found');
    }
    principal = { kind: 'user_jwt', organizationId: wanted, userId: user.id };
  } else {
    throw fail('missing_auth');
  }
  await rateLimit(s, principal.organizationId, reply);
  return principal;
}

/** A data-API request that must come from a person (legacy /client/v1): a user JWT only. */
export async function userJwtAuth(
  s: Services,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<{ organizationId: string; user: User; role: Role }> {
  const p = await dataAuth(s, req, reply, { allowApiKey: false });
  if (p.kind !== 'user_jwt') throw fail('forbidden');
  const user = await s.store.getUser(p.userId);
  const membership = await s.store.getMembership(p.organizationId, p.userId);
  if (!user || !membership) throw fail('invalid_token');
  return { organizationId: p.organizationId, user, role: membership.role };
}

export interface PlatformPrincipal {
  user: User;
  app: PartnerApp | null;
}

/** Partner API: platform JWT, and the app's client headers unless the route is exempt. */
export async function platformAuth(s: Services, req: FastifyRequest, opts: { requireApp: boolean }): Promise<PlatformPrincipal> {
  const token = bearerToken(req);
  if (!token) throw fail('missing_auth');
  if (token.startsWith('dlvr_')) throw fail('wrong_token_type', 'the Partner API needs a platform JWT from POST /public/core/auth/issue');
  const claims = await s.tokens.verify('platform', token);
  if (claims === 'wrong_kind') throw fail('wrong_token_type', 'use the token from POST /public/core/auth/issue');
  if (!claims) throw fail('invalid_token');
  const user = await s.store.getUser(claims.userId);
  if (!user || user.status !== 'active') throw fail('invalid_token');
  if (!opts.requireApp) return { user, app: null };
  const clientId = headerValue(req, 'x-delivr-client-id');
  const clientSecret = headerValue(req, 'x-delivr-client-secret');
  if (!clientId || !clientSecret) throw fail('missing_client_credentials');
  const app = await s.credentials.verifyApp(clientId, clientSecret);
  if (!app) throw fail('invalid_client_credentials');
  if (app.user_id !== user.id) throw fail('client_app_mismatch');
  return { user, app };
}

/** The caller's role in an organization, or 404 so other tenants' ids reveal nothing. */
export async function organizationRole(s: Services, organizationId: string | undefined, userId: string): Promise<Role> {
  if (!organizationId) throw fail('invalid_parameters', 'organization_id is required');
  const m = await s.store.getMembership(organizationId, userId);
  if (!m) throw fail('organization_not_found');
  return m.role;
}

export const csrfTokenFor = (secret: string, sessionToken: string): string =>
  createHmac('sha256', secret).update(`csrf:${sessionToken}`).digest('base64url');

export interface SessionPrincipal {
  user: User;
  sessionId: string;
  csrfToken: string;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Principals already checked for a request (by the preValidation hook), so handlers don't look twice. */
const checked = new WeakMap<FastifyRequest, SessionPrincipal>();

/** Dashboard: the session cookie, and on unsafe methods the X-CSRF-Token header bound to it. */
export async function sessionAuth(s: Services, req: FastifyRequest): Promise<SessionPrincipal> {
  const known = checked.get(req);
  if (known) return known;
  const token = req.cookies[SESSION_COOKIE];
  if (!token || token.length > 200) throw fail('session_required');
  const session = await s.store.findLiveSession(hashToken(token), s.now());
  if (!session) throw fail('session_required');
  const user = await s.store.getUser(session.user_id);
  if (!user || user.status !== 'active') throw fail('session_required');
  const csrfToken = csrfTokenFor(s.config.jwtSecret, token);
  if (UNSAFE.has(req.method) && !safeEqual(headerValue(req, CSRF_HEADER) ?? '', csrfToken)) throw fail('csrf_failed');
  const principal = { user, sessionId: session.id, csrfToken };
  checked.set(req, principal);
  return principal;
}

/**
 * Checks the session (and CSRF token) of every route whose schema declares the session cookie as
 * its security, before the body is validated: a caller without a valid session or token learns
 * nothing about what a body should look like (401/403, not 400).
 */
export function checkSessionsBeforeValidation(app: App, s: Services): void {
  app.addHook('preValidation', async (req) => {
    const security = req.routeOptions.schema?.security as Record<string, unknown>[] | undefined;
    if (security?.some((scheme) => 'sessionCookie' in scheme)) await sessionAuth(s, req);
  });
}

/** Operator API: `Authorization: Bearer <ADMIN_TOKEN>`; disabled (404) when no token is configured. */
export function adminAuth(s: Services, req: FastifyRequest): void {
  if (!s.config.adminToken) throw fail('admin_disabled');
  const token = bearerToken(req);
  if (!token || !safeEqual(token, s.config.adminToken)) throw fail('admin_token_required');
}
