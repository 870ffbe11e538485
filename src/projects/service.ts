// Projects of an organization. Every read takes the caller's organization(s) and answers "not
// found" for another tenant's project, so ids from elsewhere reveal nothing.
import type { Catalog } from '../catalog/catalog.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import { canonicalTimeZone } from '../platform/time-zone.js';
import type { Project } from './store.js';

export class ProjectsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly now: () => number,
  ) {}

  async create(organizationId: string, name: string, timeZone?: string): Promise<Project> {
    const zone = timeZone === undefined ? undefined : requireTimeZone(timeZone);
    return this.catalog.projects.createProject({
      organizationId,
      name: requireName(name),
      ...(zone ? { timeZone: zone } : {}),
      now: this.now(),
    });
  }

  async rename(organizationId: string, projectId: string, name: string): Promise<Project> {
    return this.update(organizationId, projectId, { name });
  }

  /** Renames a project and/or sets the time zone its stats count days in. */
  async update(organizationId: string, projectId: string, changes: { name?: string; time_zone?: string }): Promise<Project> {
    const clean: { name?: string; time_zone?: string } = {};
    if (changes.name !== undefined) clean.name = requireName(changes.name);
    if (changes.time_zone !== undefined) clean.time_zone = requireTimeZone(changes.time_zone);
    if (clean.name === undefined && clean.time_zone === undefined)
      throw fail('invalid_parameters', 'nothing to change: send name or time_zone');
    if (!(await this.catalog.projects.updateProject(organizationId, projectId, clean, this.now()))) throw fail('project_not_found');
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

/** An IANA zone name in its canonical spelling, or a 400 that says what is accepted. */
function requireTimeZone(zone: string): string {
  const canonical = canonicalTimeZone(zone.trim());
  if (!canonical)
    throw fail('invalid_parameters', `time_zone must be an IANA time zone name such as UTC or Europe/Berlin, got "${zone.slice(0, 64)}"`);
  return canonical;
}
