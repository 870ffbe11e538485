// Projects of an organization. Every read takes the caller's organization(s) and answers "not
// found" for another tenant's project, so ids from elsewhere reveal nothing.
import type { Catalog } from '../catalog/catalog.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { Project } from './store.js';

export class ProjectsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly now: () => number,
  ) {}

  async create(organizationId: string, name: string): Promise<Project> {
    return this.catalog.projects.createProject({ organizationId, name: requireName(name), now: this.now() });
  }

  async rename(organizationId: string, projectId: string, name: string): Promise<Project> {
    const clean = requireName(name);
    if (!(await this.catalog.projects.renameProject(organizationId, projectId, clean, this.now()))) throw fail('project_not_found');
    return this.get(organizationId, projectId);
  }

  async get(organizationId: string, projectId: string): Promise<Project> {
    return this.getIn([organizationId], projectId);
  }

  /** The project, if it belongs to one of the given organizations. */
  async getIn(organizationIds: readonly string[], projectId: string): Promise<Project> {
    const project = await this.catalog.projects.getProject(projectId);
    if (!project || !organizationIds.includes(project.organization_id)) throw fail('project_not_found');
    return project;
  }

  list(organizationId: string): Promise<Project[]> {
    return this.catalog.projects.listProjects(organizationId);
  }
}
