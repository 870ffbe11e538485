// Catalog contract, pixels: run on every catalog backend by test/catalog/contract.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ContractContext, T0 } from './context.js';

export function pixelsContract(c: ContractContext): void {
  const { s, org } = c;

  describe('pixels', () => {
    it('creates, lists per project and per organization, and hides deleted pixels everywhere', async () => {
      const [o, other] = [await org(), await org()];
      const [pa, pb] = [
        await s.projects.createProject({ organizationId: o.id, name: 'a', now: T0 }),
        await s.projects.createProject({ organizationId: o.id, name: 'b', now: T0 }),
      ];
      const x1 = await s.pixels.createPixel({ organizationId: o.id, projectId: pa.id, title: 'x1', trackers: 'spa', now: T0 + 1 });
      const x2 = await s.pixels.createPixel({
        organizationId: o.id,
        projectId: pb.id,
        title: 'x2',
        respectPrivacy: true,
        trackers: 'spa,clicks,forms',
        now: T0 + 2,
      });
      const x3 = await s.pixels.createPixel({ organizationId: o.id, projectId: pa.id, title: 'x3', trackers: '', now: T0 + 3 });
      expect(x1).toMatchObject({ status: 'active', respect_privacy: 0, trackers: 'spa', deleted_at: null, first_event_at: null });
      expect(await s.pixels.getPixel(x2.id)).toEqual({ ...x2, respect_privacy: 1, trackers: 'spa,clicks,forms' });
      expect((await s.pixels.getPixel(x3.id))?.trackers).toBe('');
      expect((await s.pixels.listPixels(pa.id)).map((p) => p.id)).toEqual([x1.id, x3.id]);
      expect((await s.pixels.listOrganizationPixels(o.id)).map((p) => p.id)).toEqual([x1.id, x2.id, x3.id]);

      expect(await s.pixels.deletePixel(other.id, x1.id, T0 + 4)).toBe(false);
      expect(await s.pixels.deletePixel(o.id, x1.id, T0 + 4)).toBe(true);
      expect(await s.pixels.deletePixel(o.id, x1.id, T0 + 5)).toBe(false);
      expect(await s.pixels.getPixel(x1.id)).toBeUndefined();
      expect((await s.pixels.listPixels(pa.id)).map((p) => p.id)).toEqual([x3.id]);
      expect((await s.pixels.listOrganizationPixels(o.id)).map((p) => p.id)).toEqual([x2.id, x3.id]);
    });

    it('updates only the given settings of a live pixel in its own organization', async () => {
      const [o, other] = [await org(), await org()];
      const p = await s.projects.createProject({ organizationId: o.id, name: 'p', now: T0 });
      const x = await s.pixels.createPixel({ organizationId: o.id, projectId: p.id, title: 'x', trackers: 'spa', now: T0 });
      expect(await s.pixels.updatePixel(other.id, x.id, { title: 'hijack' }, T0 + 1)).toBe(false);
      expect(await s.pixels.updatePixel(o.id, x.id, { trackers: 'clicks,video' }, T0 + 2)).toBe(true);
      expect(await s.pixels.getPixel(x.id)).toEqual({ ...x, trackers: 'clicks,video', updated_at: T0 + 2 });
      expect(await s.pixels.updatePixel(o.id, x.id, { title: 'renamed', respectPrivacy: true }, T0 + 3)).toBe(true);
      expect(await s.pixels.getPixel(x.id)).toEqual({
        ...x,
        title: 'renamed',
        respect_privacy: 1,
        trackers: 'clicks,video',
        updated_at: T0 + 3,
      });
      await s.pixels.deletePixel(o.id, x.id, T0 + 4);
      expect(await s.pixels.updatePixel(o.id, x.id, { title: 'ghost' }, T0 + 5)).toBe(false);
    });

    it('finds a collecting pixel only while it is live and its project is active', async () => {
      const o = await org();
      const p = await s.projects.createProject({ organizationId: o.id, name: 'p', now: T0 });
      const x = await s.pixels.createPixel({ organizationId: o.id, projectId: p.id, title: 'x', trackers: 'spa', now: T0 });
      const y = await s.pixels.createPixel({ organizationId: o.id, projectId: p.id, title: 'y', trackers: 'spa', now: T0 + 1 });
      expect(await s.pixels.getCollectingPixel(x.id)).toEqual(x);
      await s.projects.setProjectStatus(o.id, p.id, 'archived', T0 + 1);
      expect(await s.pixels.getCollectingPixel(x.id)).toBeUndefined();
      // The pixel itself is still there for the dashboard and the Partner API.
      expect(await s.pixels.getPixel(x.id)).toEqual(x);
      expect((await s.pixels.listPixels(p.id)).map((px) => px.id)).toEqual([x.id, y.id]);
      await s.projects.setProjectStatus(o.id, p.id, 'active', T0 + 2);
      expect(await s.pixels.getCollectingPixel(x.id)).toEqual(x);
      await s.pixels.deletePixel(o.id, y.id, T0 + 3);
      expect(await s.pixels.getCollectingPixel(y.id)).toBeUndefined();
    });

    it("lists the ids of every pixel a project ever had, deleted ones too, and no other project's", async () => {
      const o = await org();
      const [p, q] = [
        await s.projects.createProject({ organizationId: o.id, name: 'p', now: T0 }),
        await s.projects.createProject({ organizationId: o.id, name: 'q', now: T0 }),
      ];
      const x = await s.pixels.createPixel({ organizationId: o.id, projectId: p.id, title: 'x', trackers: 'spa', now: T0 });
      const gone = await s.pixels.createPixel({ organizationId: o.id, projectId: p.id, title: 'gone', trackers: 'spa', now: T0 });
      await s.pixels.createPixel({ organizationId: o.id, projectId: q.id, title: 'other', trackers: 'spa', now: T0 });
      await s.pixels.deletePixel(o.id, gone.id, T0 + 1);
      expect(await s.pixels.listPixelIdsEver(p.id)).toEqual([x.id, gone.id].sort());
      expect(await s.pixels.listPixelIdsEver(randomUUID())).toEqual([]);
    });

    it('marks the first event once; later events do not move it', async () => {
      const o = await org();
      const p = await s.projects.createProject({ organizationId: o.id, name: 'p', now: T0 });
      const x = await s.pixels.createPixel({ organizationId: o.id, projectId: p.id, title: 'x', trackers: 'spa', now: T0 });
      await s.pixels.markPixelFirstEvent(x.id, T0 + 10);
      await s.pixels.markPixelFirstEvent(x.id, T0 + 20);
      expect((await s.pixels.getPixel(x.id))?.first_event_at).toBe(T0 + 10);
    });
  });
}
