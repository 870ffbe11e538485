// Catalog contract, projects: run on every catalog backend by test/catalog/contract.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ContractContext, T0 } from './context.js';

export function projectsContract(c: ContractContext): void {
  const { s, org } = c;

  describe('projects', () => {
    it('creates, lists per organization in creation order, gets, and renames only in its organization', async () => {
      const [o, other] = [await org(), await org()];
      const p1 = await s.projects.createProject({ organizationId: o.id, name: 'first', now: T0 + 1 });
      const p2 = await s.projects.createProject({ organizationId: o.id, name: 'second', now: T0 + 2 });
      await s.projects.createProject({ organizationId: other.id, name: 'theirs', now: T0 });
      expect(p1).toMatchObject({ organization_id: o.id, status: 'active', time_zone: 'UTC', created_at: T0 + 1, updated_at: T0 + 1 });
      expect(await s.projects.getProject(p1.id)).toEqual(p1);
      expect(await s.projects.getProject(randomUUID())).toBeUndefined();
      expect((await s.projects.listProjects(o.id)).map((p) => p.id)).toEqual([p1.id, p2.id]);

      expect(await s.projects.renameProject(other.id, p1.id, 'hijack', T0 + 3)).toBe(false);
      expect(await s.projects.renameProject(o.id, p1.id, 'renamed', T0 + 3)).toBe(true);
      expect(await s.projects.getProject(p1.id)).toEqual({ ...p1, name: 'renamed', updated_at: T0 + 3 });
    });

    it('keeps a time zone per project: given at creation, changed alone, never across organizations', async () => {
      const [o, other] = [await org(), await org()];
      const p = await s.projects.createProject({ organizationId: o.id, name: 'zoned', timeZone: 'Asia/Tokyo', now: T0 });
      expect((await s.projects.getProject(p.id))?.time_zone).toBe('Asia/Tokyo');
      expect(await s.projects.updateProject(other.id, p.id, { time_zone: 'UTC' }, T0 + 1)).toBe(false);
      expect(await s.projects.updateProject(o.id, p.id, { time_zone: 'Europe/Berlin' }, T0 + 2)).toBe(true);
      expect(await s.projects.getProject(p.id)).toEqual({ ...p, time_zone: 'Europe/Berlin', updated_at: T0 + 2 });
    });
  });
}
