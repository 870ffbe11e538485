// Failed password checks, shared by every place a password is checked (sign-in on the three login
// endpoints, accepting an invitation as an existing user), so one rule decides who must wait.
//
// The rule slows the attacker without locking the person out. Failures are counted per account
// *and* client address (the pair), per account, and per address; past a free allowance each further
// attempt must wait 1 s, then 2 s, 4 s, ... (at most the window) after the latest failure:
//  - the pair: LOGIN_MAX_FAILURES free failures, so someone guessing from one place slows down
//    while the same account signs in from anywhere else as usual;
//  - the account, from any address: 4x as many, so many addresses guessing one password slow down;
//  - the address, across accounts: 10x as many, so one address trying many accounts slows down.
// An address that signed in to the account before (within FAMILIAR_MS) is familiar: it waits only
// for its own pair's failures, so neither a distributed guess at the account nor a neighbour behind
// the same proxy keeps the person out. Unknown emails are counted exactly like known ones, so the
// answers (429 and its Retry-After included) never tell which accounts exist.
import type { Config } from '../platform/config.js';
import { ApiError } from '../platform/errors.js';
import type { FailureCounter, FailureState, Marks } from '../platform/limits.js';
import type { Throttles } from '../platform/throttles.js';

/** How long an address that signed in stays familiar to the account. */
export const FAMILIAR_MS = 30 * 86_400_000;
const ACCOUNT_FACTOR = 4;
const SOURCE_FACTOR = 10;

export class LoginThrottle {
  constructor(
    private readonly d: {
      failures: FailureCounter;
      familiar: Marks;
      throttles: Throttles;
      config: Pick<Config, 'loginThrottle'>;
      now: () => number;
    },
  ) {}

  private static pairKey = (email: string, ip: string): string => `login:pair:${ip}:${email}`;
  private static accountKey = (email: string): string => `login:acct:${email}`;
  private static sourceKey = (ip: string): string => `login:ip:${ip}`;

  /** Milliseconds still to wait after `state`'s latest failure, once `free` failures are spent. */
  private wait(state: FailureState, free: number): number {
    if (state.count < free || state.lastAt === null) return 0;
    const windowMs = this.d.config.loginThrottle.windowSeconds * 1000;
    const delay = Math.min(1000 * 2 ** Math.min(state.count - free, 30), windowMs);
    return Math.max(0, state.lastAt + delay - this.d.now());
  }

  /** 429 with Retry-After while this account, from this address, must wait. */
  async assertOpen(email: string, ip: string): Promise<void> {
    const { maxFailures } = this.d.config.loginThrottle;
    const { failures } = this.d;
    const pair = await failures.state(LoginThrottle.pairKey(email, ip));
    let waitMs = this.wait(pair, maxFailures);
    if (!(await this.d.familiar.has(LoginThrottle.pairKey(email, ip)))) {
      const account = await failures.state(LoginThrottle.accountKey(email));
      const source = await failures.state(LoginThrottle.sourceKey(ip));
      waitMs = Math.max(waitMs, this.wait(account, maxFailures * ACCOUNT_FACTOR), this.wait(source, maxFailures * SOURCE_FACTOR));
    }
    if (waitMs > 0) {
      this.d.throttles.count('login');
      const seconds = Math.ceil(waitMs / 1000);
      throw new ApiError('too_many_attempts', `try again in ${seconds} s`, { 'Retry-After': String(seconds) });
    }
  }

  /** A wrong password (or an unknown email: counted the same way). */
  async recordFailure(email: string, ip: string): Promise<void> {
    const { failures } = this.d;
    await failures.fail(LoginThrottle.pairKey(email, ip));
    await failures.fail(LoginThrottle.accountKey(email));
    await failures.fail(LoginThrottle.sourceKey(ip));
  }

  /** The right password: this address is familiar from now on and its own failures are forgiven. */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.d.failures.reset(LoginThrottle.pairKey(email, ip));
    await this.d.familiar.mark(LoginThrottle.pairKey(email, ip), FAMILIAR_MS);
  }

  /** After a password reset (the person proved they own the mailbox): the account's and this address's failures are forgiven. */
  async forgive(email: string, ip: string): Promise<void> {
    await this.d.failures.reset(LoginThrottle.accountKey(email));
    await this.d.failures.reset(LoginThrottle.pairKey(email, ip));
  }
}
