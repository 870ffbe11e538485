// Views of the real analytics store for comparisons (tests and benches): the same store, with one
// optional capability hidden, so that a service built on it takes the path it takes on a store
// without that capability (ClickHouse). Nothing is stubbed: every call reaches the real store.
import type { IdentityStore } from '../../src/identity/types.js';

/** The store without its own CSV reader: an import built on it parses every row in JavaScript. */
export function withoutCsvReader<T extends IdentityStore>(store: T): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'stageCsv' || key === 'commitCsv' || key === 'discardCsv') return undefined;
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
