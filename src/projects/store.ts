// Projects in the catalog. Kysely, the same on SQLite and PostgreSQL;
// test/catalog/contract/projects.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb, ProjectsTable } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type Project = Selectable<ProjectsTable>;

export class ProjectsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createProject(input: { organizationId: string; name: string; timeZone?: string; now: number }): Promise<Project> {
    const row: Project = {
      id: uuid(),
      organization_id: input.organizationId,
      name: input.name,
      status: 'active',
      time_zone: input.timeZone ?? 'UTC',
      created_at: input.now,
      updated_at: input.now,
    };
    await this.db.insertInto('projects').values(row).execute();
    return row;
  }

  async listProjects(organizationId: string): Promise<Project[]> {
    return this.db
      .selectFrom('projects')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async getProject(id: string): Promise<Project | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async renameProject(organizationId: string, id: string, name: string, now: number): Promise<boolean> {
    return this.updateProject(organizationId, id, { name }, now);
  }

  /** Changes the given fields of a project of the organization; false when it has no such project. */
  async updateProject(organizationId: string, id: string, changes: { name?: string; time_zone?: string }, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('projects')
      .set({ ...changes, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
