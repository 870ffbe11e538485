// Catalog contract, identity erasures (src/identity/erasures.ts): a mark orders records across
// processes, `since` gives the organization's HEMs recorded after a mark (each once), and a record
// forgets those older than a week. Run on every catalog backend by test/catalog/contract.ts.
import { describe, expect, it } from 'vitest';
import { ERASURE_MEMORY_MS } from '../../../src/identity/erasures.js';
import { type ContractContext, newHash, T0 } from './context.js';

export function erasuresContract(c: ContractContext): void {
  const { s } = c;

  describe('identity erasures', () => {
    it('gives the HEMs erased after a mark, of that organization only, each once; a week later they are forgotten', async () => {
      const [a, b] = [await c.org(), await c.org()];
      const [early, late, again] = [newHash(), newHash(), newHash()];
      await s.erasures.record(a.id, early, T0);
      const mark = await s.erasures.mark();
      expect(mark).toBeGreaterThan(0);
      expect(await s.erasures.since(a.id, mark)).toEqual([]);
      await s.erasures.record(a.id, late, T0 + 1);
      await s.erasures.record(a.id, again, T0 + 2);
      await s.erasures.record(a.id, again, T0 + 3);
      await s.erasures.record(b.id, newHash(), T0 + 4);
      expect((await s.erasures.since(a.id, mark)).sort()).toEqual([late, again].sort());
      expect((await s.erasures.since(a.id, 0)).sort()).toEqual([early, late, again].sort());
      expect(await s.erasures.mark()).toBeGreaterThan(mark);
      // A record a week and a moment after the first forgets it, and keeps the younger ones.
      await s.erasures.record(b.id, newHash(), T0 + ERASURE_MEMORY_MS + 1);
      expect((await s.erasures.since(a.id, 0)).sort()).toEqual([late, again].sort());
    });
  });
}
