// The four ways in, one method each, called at the top of a handler so the credential a route
// needs is visible where it is used:
//  - data: organization API key + secret (current), key alone (legacy, or when the organization
//    allows it), or a data-API user JWT; applies the per-organization rate limit and marks the
//    request for the per-key access log. Wrong secrets for a real key are budgeted per key and
//    client address (429 past it) and only so many a key are logged, so nobody floods its log.
//  - platform: Partner API platform JWT, plus the app's client id/secret headers; budgeted per person.
//  - session / orgAccess: dashboard cookie session with CSRF protection on unsafe methods, and the
//    caller's role in the organization of the path; budgeted per person.
//  - admin: the operator's ADMIN_TOKEN.
// JWTs name their user's credentials version: one issued before a password reset is refused.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '../accounts/permissions.js';
import type { AccountsService } from '../accounts/service.js';
import type { User } from '../accounts/store.js';
import type { ApiKeysService } from '../api-keys/service.js';
import type { AppsService } from '../apps/service.js';
import type { PartnerApp } from '../apps/store.js';
import type { MembersService } from '../members/service.js';
import type { Role } from '../members/store.js';
import type { Config } from '../platform/config.js';
import { safeEqual } from '../platform/crypto.js';
import { ApiError, fail } from '../platform/errors.js';
import { bearerToken, headerValue } from '../platform/http.js';
import type { RateLimiter } from '../platform/limits.js';
import type { Throttles } from '../platform/throttles.js';
import { CSRF_HEADER, SESSION_COOKIE, type SessionPrincipal, type SessionsService } from '../sessions/service.js';
import type { TokenService } from './tokens.js';

export type DataPrincipal =
  | { kind: 'api_key'; organizationId: string; keyId: string }
  | { kind: 'user_jwt'; organizationId: string; userId: string };

export interface PlatformPrincipal {
  user: User;
  app: PartnerApp | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when an API key authenticated the request, so onResponse can write its access log. */
    accessKey: { keyId: string; organizationId: string } | null;
  }
}

export interface GuardDeps {
  config: Pick<Config, 'adminToken'>;
  tokens: TokenService;
  accounts: AccountsService;
  members: MembersService;
  sessions: SessionsService;
  apiKeys: ApiKeysService;
  apps: AppsService;
  rateLimiter: RateLimiter;
  throttles: Throttles;
}

/** Principals already checked for a request (by the dashboard's preValidation hook), so handlers don't look twice. */
const checkedSessions = new WeakMap<FastifyRequest, SessionPrincipal>();

export class Guards {
  constructor(private readonly d: GuardDeps) {}

  private async rateLimit(organizationId: string, reply: FastifyReply): Promise<void> {
    const r = await this.d.rateLimiter.take(`org:${organizationId}`);
    reply.header('X-RateLimit-Limit', r.limit);
    reply.header('X-RateLimit-Remaining', r.remaining);
    reply.header('X-RateLimit-Reset', r.resetSeconds);
    if (!r.allowed) {
      this.d.throttles.count('organization');
      throw new ApiError('rate_limited', undefined, { 'Retry-After': String(r.retryAfterSeconds) });
    }
  }

  /** Data APIs (events, audiences, taxonomy, lookup, /client/v1 reads). */
  async data(req: FastifyRequest, reply: FastifyReply, opts: { allowApiKey?: boolean } = {}): Promise<DataPrincipal> {
    const headerKey = headerValue(req, 'x-api-key');
    const bearer = bearerToken(req);
    const apiKey = headerKey ?? (bearer?.startsWith('dlvr_') ? bearer : undefined);
    let principal: DataPrincipal;
    if (apiKey !== undefined) {
      if (opts.allowApiKey === false) throw fail('forbidden', 'this endpoint needs a user token, not an API key');
      const v = await this.d.apiKeys.verify(apiKey, headerValue(req, 'x-api-secret'));
      if (!v.ok) {
        if ('key' in v) {
          const { throttles } = this.d;
          await throttles.take('wrongSecretPerSource', `${v.key.id}:${req.ip}`, 'too many failed secrets for this key; try again later');
          if (await throttles.allows('wrongSecretLogPerKey', v.key.id))
            req.accessKey = { keyId: v.key.id, organizationId: v.key.organization_id };
        }
        throw fail(v.code);
      }
      req.accessKey = { keyId: v.key.id, organizationId: v.key.organization_id };
      principal = { kind: 'api_key', organizationId: v.key.organization_id, keyId: v.key.id };
    } else if (bearer !== undefined) {
      const claims = await this.d.tokens.verify('data', bearer);
      if (claims === 'wrong_kind') throw fail('wrong_token_type', 'use the token from POST /auth/v1/login');
      if (!claims) throw fail('invalid_token');
      const user = await this.d.accounts.currentUser(claims.userId, claims.credentialsVersion);
      if (!user) throw fail('invalid_token');
      // x-organization-id selects among the user's organizations; default is the one login returned.
      const wanted = headerValue(req, 'x-organization-id') || claims.organizationId;
      if (!wanted) throw fail('forbidden', 'no organization selected');
      if (!(await this.d.members.isMember(wanted, user.id))) {
        throw wanted === claims.organizationId ? fail('invalid_token') : fail('organization_not_found');
      }
      principal = { kind: 'user_jwt', organizationId: wanted, userId: user.id };
    } else {
      throw fail('missing_auth');
    }
    await this.rateLimit(principal.organizationId, reply);
    return principal;
  }

  /** A data-API request that must come from a person (legacy /client/v1): a user JWT only. */
  async userJwt(req: FastifyRequest, reply: FastifyReply): Promise<{ organizationId: string; user: User; role: Role }> {
    const p = await this.data(req, reply, { allowApiKey: false });
    if (p.kind !== 'user_jwt') throw fail('forbidden');
    const user = await this.d.accounts.activeUser(p.userId);
    if (!user) throw fail('invalid_token');
    const role = await this.d.members.role(p.organizationId, p.userId).catch(() => {
      throw fail('invalid_token');
    });
    return { organizationId: p.organizationId, user, role };
  }

  /** Partner API: platform JWT, and the app's client headers unless the route is exempt. */
  async platform(req: FastifyRequest, opts: { requireApp: boolean }): Promise<PlatformPrincipal> {
    const token = bearerToken(req);
    if (!token) throw fail('missing_auth');
    if (token.startsWith('dlvr_')) throw fail('wrong_token_type', 'the Partner API needs a platform JWT from POST /public/core/auth/issue');
    const claims = await this.d.tokens.verify('platform', token);
    if (claims === 'wrong_kind') throw fail('wrong_token_type', 'use the token from POST /public/core/auth/issue');
    if (!claims) throw fail('invalid_token');
    const user = await this.d.accounts.currentUser(claims.userId, claims.credentialsVersion);
    if (!user) throw fail('invalid_token');
    await this.d.throttles.take('partnerPerUser', user.id);
    if (!opts.requireApp) return { user, app: null };
    const clientId = headerValue(req, 'x-delivr-client-id');
    const clientSecret = headerValue(req, 'x-delivr-client-secret');
    if (!clientId || !clientSecret) throw fail('missing_client_credentials');
    const app = await this.d.apps.verify(clientId, clientSecret);
    if (!app) throw fail('invalid_client_credentials');
    if (app.user_id !== user.id) throw fail('client_app_mismatch');
    return { user, app };
  }

  /** Dashboard: the session cookie, and on unsafe methods the X-CSRF-Token header bound to it. */
  async session(req: FastifyRequest): Promise<SessionPrincipal> {
    const known = checkedSessions.get(req);
    if (known) return known;
    const principal = await this.d.sessions.authenticate(req.cookies[SESSION_COOKIE], req.method, headerValue(req, CSRF_HEADER));
    await this.d.throttles.take('dashboardPerUser', principal.user.id);
    checkedSessions.set(req, principal);
    return principal;
  }

  /** Dashboard: the session, the caller's role in the organization of the path, and the permission the handler needs. */
  async orgAccess(req: FastifyRequest, organizationId: string, permission: Permission): Promise<SessionPrincipal & { role: Role }> {
    const who = await this.session(req);
    const role = await this.d.members.require(organizationId, who.user.id, permission);
    return { ...who, role };
  }

  /** Operator API: `Authorization: Bearer <ADMIN_TOKEN>`; disabled (404) when no token is configured. */
  admin(req: FastifyRequest): void {
    const { adminToken } = this.d.config;
    if (!adminToken) throw fail('admin_disabled');
    const token = bearerToken(req);
    if (!token || !safeEqual(token, adminToken)) throw fail('admin_token_required');
  }
}
