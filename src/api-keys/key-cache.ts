// Verified keys, remembered briefly: the key lookup (a catalog query) ran on every data-API request
// and was a third of an authenticated request's cost. What is cached is the catalog's row (key,
// secret hash, statuses), never an answer: the presented secret is still checked on every request.
//
// Revocation stays immediate in this process: every catalog write that can change an answer (key
// revoked, secret rotated, a legacy client's keys revoked, the organization's secret rule) calls
// keysChanged(), and an entry read before the latest change is never used. Another process's change
// is seen when the entry expires: within KEY_CACHE_TTL_MS (the two-process test asks for 1 s).
// A write inside a transaction announces itself before its commit: a lookup racing that commit may
// keep the old row, again at most until it expires.

export const KEY_CACHE_TTL_MS = 500;

let generation = 0;

/** Called after each catalog write that can change a key verification's answer. */
export function keysChanged(): void {
  generation += 1;
}

interface Entry<T> {
  value: T;
  expires: number;
  generation: number;
}

export class KeyCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The row for `keyHash`, looked up by `load` unless a fresh one is cached. */
  async get(keyHash: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.entries.get(keyHash);
    if (hit && hit.generation === generation && hit.expires > this.now()) return hit.value;
    // The generation before the read: a change committed while it runs makes the entry stale at once.
    const seen = generation;
    const value = await load();
    if (value === undefined) {
      this.entries.delete(keyHash);
      return undefined;
    }
    if (this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(keyHash, { value, expires: this.now() + this.ttlMs, generation: seen });
    return value;
  }

  /** Drops expired entries, and the oldest half when all are fresh (many keys in use at once). */
  private evict(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expires <= now || e.generation !== generation) this.entries.delete(k);
    if (this.entries.size < this.maxEntries) return;
    let drop = Math.ceil(this.entries.size / 2);
    for (const k of this.entries.keys()) {
      if (drop-- <= 0) break;
      this.entries.delete(k);
    }
  }
}
