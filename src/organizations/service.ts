// Organizations: the one place an organization is created (by the operator with a first-owner
// invitation, by self-service sign-up, or by a partner who owns one already), and the lists of them.

import { checkEmail } from '../accounts/service.js';
import type { Catalog } from '../catalog/catalog.js';
import type { MembersService } from '../members/service.js';
import type { Invite } from '../members/store.js';
import type { Config } from '../platform/config.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { Project } from '../projects/store.js';
import type { Organization, UserOrganization } from './store.js';

export const DEFAULT_PROJECT_NAME = 'Default project';

export class OrganizationsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly members: MembersService,
    private readonly config: Pick<Config, 'signupMode'>,
    private readonly now: () => number,
  ) {}

  /** Creates an organization inside the caller's transaction, with its owner and default project when asked. */
  async createIn(
    tx: Catalog,
    input: { name: string; ownerUserId?: string; defaultProject?: boolean },
  ): Promise<{ organization: Organization; project: Project | null }> {
    const now = this.now();
    const organization = await tx.organizations.createOrganization({ name: requireName(input.name), now });
    if (input.ownerUserId) await tx.members.addMember({ organizationId: organization.id, userId: input.ownerUserId, role: 'owner', now });
    const project = input.defaultProject
      ? await tx.projects.createProject({ organizationId: organization.id, name: DEFAULT_PROJECT_NAME, now })
      : null;
    return { organization, project };
  }

  /** Operator: a new organization and an invitation for its first owner. */
  async createWithOwnerInvite(input: { name: string; ownerEmail: string }): Promise<{ organization: Organization; invite: Invite }> {
    const email = checkEmail(input.ownerEmail);
    const name = requireName(input.name);
    const { organization, issued } = await this.catalog.transaction(async (tx) => {
      const { organization } = await this.createIn(tx, { name });
      const issued = await this.members.issueInvite(tx, { organization, email, role: 'owner', invitedBy: null });
      return { organization, issued };
    });
    await this.members.sendInvite(organization, issued, null);
    return { organization, invite: issued.invite };
  }

  /** Partner API: owners of an organization (or anyone, with open sign-up) create more, each with a default project. */
  async createForPartner(userId: string, name: string): Promise<{ organization: Organization; project: Project }> {
    const mine = await this.listForUser(userId);
    if (this.config.signupMode !== 'open' && !mine.some((o) => o.role === 'owner')) {
      throw fail('forbidden', 'only owners of an organization may create organizations');
    }
    const clean = requireName(name);
    const { organization, project } = await this.catalog.transaction((tx) =>
      this.createIn(tx, { name: clean, ownerUserId: userId, defaultProject: true }),
    );
    if (!project) throw fail('internal');
    return { organization, project };
  }

  /** Whether the organization's API keys must send their secret (seed v2: on unless an owner turned it off). */
  async apiKeySettings(organizationId: string): Promise<{ secretRequired: boolean }> {
    const organization = await this.catalog.organizations.getOrganization(organizationId);
    if (!organization) throw fail('organization_not_found');
    return { secretRequired: organization.secret_required === 1 };
  }

  /** Turning it off lets every key of the organization work without its secret, for integrations that cannot send one. */
  async setSecretRequired(organizationId: string, required: boolean): Promise<{ secretRequired: boolean }> {
    if (!(await this.catalog.organizations.setSecretRequired(organizationId, required))) throw fail('organization_not_found');
    return { secretRequired: required };
  }

  listForUser(userId: string): Promise<UserOrganization[]> {
    return this.catalog.organizations.listOrganizationsForUser(userId);
  }

  list(): Promise<Organization[]> {
    return this.catalog.organizations.listOrganizations();
  }
}
