// Signing a person in on the dashboard: a new session, its httpOnly SameSite cookie, and the body
// with their organizations and CSRF token (never cached). Every sign-in path (password, sign-up,
// sign-up confirmation, invitation) ends here.
import type { FastifyReply } from 'fastify';
import type { User } from '../accounts/store.js';
import { noStore } from '../platform/http.js';
import type { Services } from '../services.js';
import type { Session } from './schemas.js';
import { SESSION_COOKIE } from './service.js';
import { sessionView } from './views.js';

export async function signIn(
  { sessions, organizations, config }: Pick<Services, 'sessions' | 'organizations' | 'config'>,
  reply: FastifyReply,
  user: User,
): Promise<Session> {
  const { token, csrfToken, maxAgeSeconds } = await sessions.start(user);
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: '/',
    maxAge: maxAgeSeconds,
  });
  noStore(reply);
  return sessionView(user, await organizations.listForUser(user.id), csrfToken);
}

export function signOut(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
