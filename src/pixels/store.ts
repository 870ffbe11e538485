// Pixels in the catalog; deleted pixels are kept as rows but never found. Kysely, the same on SQLite
// and PostgreSQL; test/catalog/contract/pixels.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import { listLive, updateLive } from '../catalog/live-rows.js';
import type { CatalogDb, PixelsTable } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type Pixel = Selectable<PixelsTable>;

export class PixelsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createPixel(input: {
    organizationId: string;
    projectId: string;
    title: string;
    respectPrivacy?: boolean;
    /** Comma-separated tracker names, already checked by the caller. */
    trackers: string;
    /** Comma-separated canonical redirect hosts, already checked by the caller. */
    redirectHosts?: string;
    now: number;
  }): Promise<Pixel> {
    const row: Pixel = {
      id: uuid(),
      organization_id: input.organizationId,
      project_id: input.projectId,
      title: input.title,
      status: 'active',
      respect_privacy: input.respectPrivacy ? 1 : 0,
      trackers: input.trackers,
      redirect_hosts: input.redirectHosts ?? '',
      created_at: input.now,
      updated_at: input.now,
      deleted_at: null,
      first_event_at: null,
    };
    await this.db.insertInto('pixels').values(row).execute();
    return row;
  }

  async listPixels(projectId: string): Promise<Pixel[]> {
    return listLive(this.db, 'pixels', 'project_id', projectId);
  }

  async listOrganizationPixels(organizationId: string): Promise<Pixel[]> {
    return listLive(this.db, 'pixels', 'organization_id', organizationId);
  }

  /** A live pixel; deleted pixels are not found. */
  async getPixel(id: string): Promise<Pixel | undefined> {
    return this.db.selectFrom('pixels').selectAll().where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
  }

  /** A live pixel whose project is active: one that may collect. Archived projects' pixels are not found. */
  async getCollectingPixel(id: string): Promise<Pixel | undefined> {
    return this.db
      .selectFrom('pixels')
      .innerJoin('projects', 'projects.id', 'pixels.project_id')
      .selectAll('pixels')
      .where('pixels.id', '=', id)
      .where('pixels.status', '=', 'active')
      .where('projects.status', '=', 'active')
      .executeTakeFirst();
  }

  /** Ids of every pixel ever made in the project, deleted ones too (their events are still stored). */
  async listPixelIdsEver(projectId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('pixels').select('id').where('project_id', '=', projectId).orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  /** Changes a live pixel's settings; false when it is not (or no longer) there. */
  async updatePixel(
    organizationId: string,
    id: string,
    changes: { title?: string; respectPrivacy?: boolean; trackers?: string; redirectHosts?: string },
    now: number,
  ): Promise<boolean> {
    return updateLive(this.db, 'pixels', ['organization_id', organizationId], id, {
      ...(changes.title === undefined ? {} : { title: changes.title }),
      ...(changes.respectPrivacy === undefined ? {} : { respect_privacy: changes.respectPrivacy ? 1 : 0 }),
      ...(changes.trackers === undefined ? {} : { trackers: changes.trackers }),
      ...(changes.redirectHosts === undefined ? {} : { redirect_hosts: changes.redirectHosts }),
      updated_at: now,
    });
  }

  async deletePixel(organizationId: string, id: string, now: number): Promise<boolean> {
    return updateLive(this.db, 'pixels', ['organization_id', organizationId], id, { status: 'deleted', deleted_at: now, updated_at: now });
  }

  async markPixelFirstEvent(id: string, at: number): Promise<void> {
    await this.db.updateTable('pixels').set({ first_event_at: at }).where('id', '=', id).where('first_event_at', 'is', null).execute();
  }
}
