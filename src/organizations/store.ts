// Organizations in the catalog: rows and the organizations a user belongs to. Kysely, so the same
// queries run on SQLite and PostgreSQL; test/catalog/contract/organizations.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import { keysChanged } from '../api-keys/key-cache.js';
import { countRows } from '../catalog/count.js';
import type { CatalogDb, OrganizationsTable, Role } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type Organization = Selectable<OrganizationsTable>;

export interface UserOrganization extends Organization {
  role: Role;
}

export class OrganizationsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createOrganization(input: { name: string; now: number }): Promise<Organization> {
    const row: Organization = { id: uuid(), name: input.name, status: 'active', created_at: input.now, secret_required: 1 };
    await this.db.insertInto('organizations').values(row).execute();
    return row;
  }

  async getOrganization(id: string): Promise<Organization | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Sets whether the organization's API keys must send their secret; false when there is no such organization. */
  async setSecretRequired(id: string, required: boolean): Promise<boolean> {
    const r = await this.db
      .updateTable('organizations')
      .set({ secret_required: required ? 1 : 0 })
      .where('id', '=', id)
      .executeTakeFirst();
    keysChanged();
    return Number(r.numUpdatedRows) > 0;
  }

  async listOrganizations(): Promise<Organization[]> {
    return this.db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async countOrganizations(): Promise<number> {
    return countRows(this.db.selectFrom('organizations'));
  }

  async listOrganizationsForUser(userId: string): Promise<UserOrganization[]> {
    return this.db
      .selectFrom('memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.organization_id')
      .selectAll('o')
      .select('m.role')
      .where('m.user_id', '=', userId)
      .orderBy('m.created_at')
      .orderBy('o.id')
      .execute();
  }
}
