// Failed password checks, counted per account and per client IP, shared by every place a password
// is checked (sign-in on the three login endpoints, accepting an invitation as an existing user) so
// one rule decides when an account or an address is locked.
import type { Config } from '../platform/config.js';
import { fail } from '../platform/errors.js';
import type { FailureCounter } from '../platform/limits.js';

export class LoginThrottle {
  constructor(
    private readonly failures: FailureCounter,
    private readonly config: Pick<Config, 'loginThrottle'>,
  ) {}

  private static accountKey = (email: string): string => `login:acct:${email}`;
  private static ipKey = (ip: string): string => `login:ip:${ip}`;

  /** 429 when the account (or, given one, the client address) has failed too often in the window. */
  async assertOpen(email: string, ip?: string): Promise<void> {
    const { maxFailures } = this.config.loginThrottle;
    if ((await this.failures.count(LoginThrottle.accountKey(email))) >= maxFailures) throw fail('too_many_attempts');
    if (ip !== undefined && (await this.failures.count(LoginThrottle.ipKey(ip))) >= maxFailures * 5) throw fail('too_many_attempts');
  }

  async recordFailure(input: { email?: string; ip?: string }): Promise<void> {
    if (input.ip !== undefined) await this.failures.fail(LoginThrottle.ipKey(input.ip));
    if (input.email !== undefined) await this.failures.fail(LoginThrottle.accountKey(input.email));
  }

  async reset(email: string): Promise<void> {
    await this.failures.reset(LoginThrottle.accountKey(email));
  }
}
