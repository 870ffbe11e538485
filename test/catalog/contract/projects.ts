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
      expect(p1).toMatchObject({
        organization_id: o.id,
        status: 'active',
        time_zone: 'UTC',
        created_at: T0 + 1,
        updated_at: T0 + 1,
        retention_days: null,
      });
      expect(await s.projects.getProject(p1.id)).toEqual(p1);
      expect(await s.projects.getProject(randomUUID())).toBeUndefined();
      expect((await s.projects.listProjects(o.id)).map((p) => p.id)).toEqual([p1.id, p2.id]);

      expect(await s.projects.updateProject(other.id, p1.id, { name: 'hijack' }, T0 + 3)).toBe(false);
      expect(await s.projects.updateProject(o.id, p1.id, { name: 'renamed' }, T0 + 3)).toBe(true);
      expect(await s.projects.getProject(p1.id)).toEqual({ ...p1, name: 'renamed', updated_at: T0 + 3 });
    });

    it('keeps retention_days as a number or null; an update changes only the fields it names', async () => {
      const o = await org();
      const p = await s.projects.createProject({ organizationId: o.id, name: 'kept', retentionDays: 3650, now: T0 });
      expect(p.retention_days).toBe(3650);
      expect(await s.projects.getProject(p.id)).toEqual(p);

      expect(await s.projects.updateProject(o.id, p.id, { retentionDays: 30 }, T0 + 1)).toBe(true);
      expect(await s.projects.getProject(p.id)).toEqual({ ...p, retention_days: 30, updated_at: T0 + 1 });
      // A rename leaves retention alone; retention null means keep forever, and a rename keeps that too.
      expect(await s.projects.updateProject(o.id, p.id, { name: 'renamed' }, T0 + 2)).toBe(true);
      expect((await s.projects.getProject(p.id))?.retention_days).toBe(30);
      expect(await s.projects.updateProject(o.id, p.id, { retentionDays: null }, T0 + 3)).toBe(true);
      expect(await s.projects.getProject(p.id)).toEqual({ ...p, name: 'renamed', retention_days: null, updated_at: T0 + 3 });
      expect(await s.projects.updateProject(o.id, p.id, { name: 'again' }, T0 + 4)).toBe(true);
      expect((await s.projects.getProject(p.id))?.retention_days).toBeNull();
    });

    it('archives and unarchives only in its own organization, keeping everything else', async () => {
      const [o, other] = [await org(), await org()];
      const p = await s.projects.createProject({ organizationId: o.id, name: 'p', retentionDays: 7, now: T0 });
      expect(await s.projects.setProjectStatus(other.id, p.id, 'archived', T0 + 1)).toBe(false);
      expect((await s.projects.getProject(p.id))?.status).toBe('active');
      expect(await s.projects.setProjectStatus(o.id, p.id, 'archived', T0 + 2)).toBe(true);
      expect(await s.projects.getProject(p.id)).toEqual({ ...p, status: 'archived', updated_at: T0 + 2 });
      // Archived projects are still listed (the dashboard shows them, marked).
      expect((await s.projects.listProjects(o.id)).map((x) => [x.id, x.status])).toEqual([[p.id, 'archived']]);
      expect(await s.projects.setProjectStatus(o.id, p.id, 'active', T0 + 3)).toBe(true);
      expect(await s.projects.getProject(p.id)).toEqual({ ...p, status: 'active', updated_at: T0 + 3 });
      expect(await s.projects.setProjectStatus(o.id, randomUUID(), 'archived', T0 + 4)).toBe(false);
    });

    it('lists every project with a retention period, of every organization, archived ones too, by id', async () => {
      const [o, other] = [await org(), await org()];
      const a = await s.projects.createProject({ organizationId: o.id, name: 'a', retentionDays: 1, now: T0 });
      const b = await s.projects.createProject({ organizationId: other.id, name: 'b', retentionDays: 90, now: T0 });
      const forever = await s.projects.createProject({ organizationId: o.id, name: 'forever', now: T0 });
      const archived = await s.projects.createProject({ organizationId: o.id, name: 'archived', retentionDays: 5, now: T0 });
      await s.projects.setProjectStatus(o.id, archived.id, 'archived', T0 + 1);
      const cleared = await s.projects.createProject({ organizationId: o.id, name: 'cleared', retentionDays: 5, now: T0 });
      await s.projects.updateProject(o.id, cleared.id, { retentionDays: null }, T0 + 1);

      const listed = await s.projects.listProjectsWithRetention();
      const ours = listed.filter((p) => [a.id, b.id, forever.id, archived.id, cleared.id].includes(p.id));
      expect(ours.map((p) => [p.id, p.retention_days])).toEqual(
        [
          [a.id, 1],
          [b.id, 90],
          [archived.id, 5],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      );
      // The whole list is ordered by id, so passes visit projects in a stable order.
      const ids = listed.map((p) => p.id);
      expect(ids).toEqual([...ids].sort());
      expect(listed.every((p) => p.retention_days !== null)).toBe(true);
    });

    it('keeps a time zone per project: given at creation, changed alone, never across organizations', async () => {
      const [o, other] = [await org(), await org()];
      const p = await s.projects.createProject({ organizationId: o.id, name: 'zoned', timeZone: 'Asia/Tokyo', now: T0 });
      expect((await s.projects.getProject(p.id))?.time_zone).toBe('Asia/Tokyo');
      expect(await s.projects.updateProject(other.id, p.id, { timeZone: 'UTC' }, T0 + 1)).toBe(false);
      expect(await s.projects.updateProject(o.id, p.id, { timeZone: 'Europe/Berlin' }, T0 + 2)).toBe(true);
      expect(await s.projects.getProject(p.id)).toEqual({ ...p, time_zone: 'Europe/Berlin', updated_at: T0 + 2 });
      // Retention and the zone are separate settings: changing one leaves the other.
      expect(await s.projects.updateProject(o.id, p.id, { retentionDays: 30 }, T0 + 3)).toBe(true);
      expect(await s.projects.getProject(p.id)).toMatchObject({ time_zone: 'Europe/Berlin', retention_days: 30 });
    });
  });
}
