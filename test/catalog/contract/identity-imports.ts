// Catalog contract, identity imports: run on every catalog backend by test/catalog/contract.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../../src/identity-import/store.js';
import { type ContractContext, HOUR, T0 } from './context.js';

export function identityImportsContract(c: ContractContext): void {
  const { s, org } = c;
  const make = (organizationId: string, now = T0, bytesTotal = 100) =>
    s.identityImports.create({ id: randomUUID(), organizationId, format: 'csv', createdBy: 'cli', bytesTotal, now });
  const progress = (over: Partial<ImportProgress> = {}): ImportProgress => ({
    bytes_read: 0,
    rows_read: 0,
    rows_imported: 0,
    rows_rejected: 0,
    errors: [],
    ...over,
  });

  describe('identity imports', () => {
    it('creates a processing import and reads it back exactly, only in its organization', async () => {
      const [o, other] = [await org(), await org()];
      // Over 2^32 bytes: a 32-bit column would show.
      const created = await make(o.id, T0, 5 * 1024 ** 3);
      expect(created).toEqual({
        id: created.id,
        organization_id: o.id,
        format: 'csv',
        status: 'processing',
        created_by: 'cli',
        bytes_total: 5 * 1024 ** 3,
        bytes_read: 0,
        rows_read: 0,
        rows_imported: 0,
        rows_rejected: 0,
        errors: '[]',
        failure: null,
        created_at: T0,
        updated_at: T0,
        finished_at: null,
      });
      expect(await s.identityImports.get(o.id, created.id)).toEqual(created);
      expect(await s.identityImports.get(other.id, created.id)).toBeUndefined();
      expect(await s.identityImports.get(o.id, randomUUID())).toBeUndefined();
    });

    it('lists an organization’s imports newest first, up to the limit', async () => {
      const [o, other] = [await org(), await org()];
      const old = await make(o.id, T0);
      const mid = await make(o.id, T0 + 1);
      const last = await make(o.id, T0 + 2);
      await make(other.id, T0 + 3);
      expect((await s.identityImports.list(o.id, 10)).map((i) => i.id)).toEqual([last.id, mid.id, old.id]);
      expect((await s.identityImports.list(o.id, 2)).map((i) => i.id)).toEqual([last.id, mid.id]);
    });

    it('records progress while processing and the end once; a finished import takes no more progress', async () => {
      const o = await org();
      const i = await make(o.id);
      const p = progress({
        bytes_read: 60,
        rows_read: 3_000_000_000,
        rows_imported: 2,
        rows_rejected: 1,
        errors: [{ line: 3, reason: 'bad' }],
      });
      expect(await s.identityImports.progress(i.id, p, T0 + 10)).toBe(true);
      expect(await s.identityImports.get(o.id, i.id)).toMatchObject({
        status: 'processing',
        bytes_read: 60,
        rows_read: 3_000_000_000,
        rows_imported: 2,
        rows_rejected: 1,
        errors: '[{"line":3,"reason":"bad"}]',
        updated_at: T0 + 10,
        finished_at: null,
      });
      await s.identityImports.finish(i.id, { ...p, bytes_read: 100 }, { status: 'completed' }, T0 + 20);
      const done = await s.identityImports.get(o.id, i.id);
      expect(done).toMatchObject({ status: 'completed', bytes_read: 100, failure: null, finished_at: T0 + 20, updated_at: T0 + 20 });
      expect(await s.identityImports.progress(i.id, progress(), T0 + 30)).toBe(false);
      await s.identityImports.finish(i.id, progress(), { status: 'failed', failure: 'late' }, T0 + 40);
      expect(await s.identityImports.get(o.id, i.id)).toEqual(done);
    });

    it('records a failure with its reason', async () => {
      const o = await org();
      const i = await make(o.id);
      await s.identityImports.finish(i.id, progress({ rows_read: 5 }), { status: 'failed', failure: 'the store went away' }, T0 + 5);
      expect(await s.identityImports.get(o.id, i.id)).toMatchObject({
        status: 'failed',
        failure: 'the store went away',
        rows_read: 5,
        finished_at: T0 + 5,
      });
    });

    it('fails only the organization’s processing imports whose heartbeat is older than the cutoff', async () => {
      const [o, other] = [await org(), await org()];
      const stale = await make(o.id, T0);
      const fresh = await make(o.id, T0 + HOUR);
      const finished = await make(o.id, T0);
      await s.identityImports.finish(finished.id, progress(), { status: 'completed' }, T0 + 1);
      const theirs = await make(other.id, T0);
      expect(await s.identityImports.failStale(o.id, T0 + HOUR / 2, 'stopped', T0 + 2 * HOUR)).toBe(1);
      expect(await s.identityImports.get(o.id, stale.id)).toMatchObject({
        status: 'failed',
        failure: 'stopped',
        finished_at: T0 + 2 * HOUR,
      });
      expect(await s.identityImports.get(o.id, fresh.id)).toMatchObject({ status: 'processing' });
      expect(await s.identityImports.get(o.id, finished.id)).toMatchObject({ status: 'completed', finished_at: T0 + 1 });
      expect(await s.identityImports.get(other.id, theirs.id)).toMatchObject({ status: 'processing' });
    });
  });
}
