// Projects in the catalog. Kysely, the same on SQLite and PostgreSQL;
// test/catalog/contract/projects.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb, ProjectsTable } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type Project = Selectable<ProjectsTable>;
export type ProjectStatus = Project['status'];

export class ProjectsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createProject(input: {
    organizationId: string;
    name: string;
    timeZone?: string;
    retentionDays?: number | null;
    now: number;
  }): Promise<Project> {
    const row: Project = {
      id: uuid(),
      organization_id: input.organizationId,
      name: input.name,
      status: 'active',
      time_zone: input.timeZone ?? 'UTC',
      created_at: input.now,
      updated_at: input.now,
      retention_days: input.retentionDays ?? null,
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

  /**
   * Changes the given fields of a project in its own organization; `retentionDays: null` means keep
   * forever, leaving a field out leaves it as it is. False when there is no such project there.
   */
  async updateProject(
    organizationId: string,
    id: string,
    changes: { name?: string; timeZone?: string; retentionDays?: number | null },
    now: number,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('projects')
      .set({
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.timeZone === undefined ? {} : { time_zone: changes.timeZone }),
        ...(changes.retentionDays === undefined ? {} : { retention_days: changes.retentionDays }),
        updated_at: now,
      })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Archives or unarchives; false when there is no such project in the organization. */
  async setProjectStatus(organizationId: string, id: string, status: ProjectStatus, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('projects')
      .set({ status, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Every project with a retention period, of every organization (archived ones too), by id. */
  async listProjectsWithRetention(): Promise<Project[]> {
    return this.db.selectFrom('projects').selectAll().where('retention_days', 'is not', null).orderBy('id').execute();
  }
}
