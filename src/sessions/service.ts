// Dashboard sessions: a random token in an httpOnly cookie, stored only as its SHA-256, and a CSRF
// token derived from it (HMAC with the server key) that unsafe requests must echo in a header.
import { createHmac } from 'node:crypto';
import type { AccountsService } from '../accounts/service.js';
import type { User } from '../accounts/store.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../platform/config.js';
import { hashToken, randomToken, safeEqual } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';

export const SESSION_COOKIE = 'dlvr_session';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SessionPrincipal {
  user: User;
  sessionId: string;
  csrfToken: string;
}

export class SessionsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly accounts: AccountsService,
    private readonly config: Pick<Config, 'jwtSecret' | 'sessionTtlSeconds'>,
    private readonly now: () => number,
  ) {}

  csrfTokenFor(sessionToken: string): string {
    return createHmac('sha256', this.config.jwtSecret).update(`csrf:${sessionToken}`).digest('base64url');
  }

  /** A new session for `user`: the cookie token (shown only to the browser) and its CSRF token. */
  async start(user: User): Promise<{ token: string; csrfToken: string; maxAgeSeconds: number }> {
    const token = randomToken(32);
    const now = this.now();
    const maxAgeSeconds = this.config.sessionTtlSeconds;
    await this.catalog.sessions.createSession({
      userId: user.id,
      tokenHash: hashToken(token),
      now,
      expiresAt: now + maxAgeSeconds * 1000,
      credentialsVersion: user.credentials_version,
    });
    return { token, csrfToken: this.csrfTokenFor(token), maxAgeSeconds };
  }

  /** The live session behind a cookie token; on unsafe methods the CSRF header must match too. */
  async authenticate(token: string | undefined, method: string, csrfHeader: string | undefined): Promise<SessionPrincipal> {
    if (!token || token.length > 200) throw fail('session_required');
    const session = await this.catalog.sessions.findLiveSession(hashToken(token), this.now());
    if (!session) throw fail('session_required');
    // A session begun before a password reset is revoked by it; the version also ends one whose
    // sign-in checked the old password while the reset ran.
    const user = await this.accounts.currentUser(session.user_id, session.credentials_version);
    if (!user) throw fail('session_required');
    const csrfToken = this.csrfTokenFor(token);
    if (UNSAFE.has(method) && !safeEqual(csrfHeader ?? '', csrfToken)) throw fail('csrf_failed');
    return { user, sessionId: session.id, csrfToken };
  }

  async end(sessionId: string): Promise<void> {
    await this.catalog.sessions.revokeSession(sessionId, this.now());
  }
}
