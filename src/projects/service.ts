// Projects of an organization. Every read takes the caller's organization(s) and answers "not
// found" for another tenant's project, so ids from elsewhere reveal nothing. A project carries an
// optional retention period (src/retention/ deletes older events) and can be archived: an archived
// project keeps its data and settings, but its pixels stop collecting (pixels/service.ts) until it
// is unarchived. Archiving twice, or unarchiving an active project, changes nothing and is no error.
import type { Catalog } from '../catalog/catalog.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import { canonicalTimeZone } from '../platform/time-zone.js';
import { RETENTION_DAYS } from './schemas.js';
import type { Project, ProjectStatus } from './store.js';

export interface ProjectChanges {
  name?: string | undefined;
  /** The IANA zone the project's stats count days in; undefined: leave as it is (UTC at creation). */
  timeZone?: string | undefined;
  /** null: keep events forever; undefined: leave as it is. */
  retentionDays?: number | null | undefined;
}

/** The schemas check this already; the service checks again for callers that are not HTTP routes. */
function requireRetention(days: number | null): number | null {
  if (days === null) return null;
  if (!Number.isInteger(days) || days < RETENTION_DAYS.min || days > RETENTION_DAYS.max) {
    throw fail('invalid_parameters', `retention_days must be a whole number from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max}, or null`);
  }
  return days;
}

export class ProjectsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly now: () => number,
    /** Called after a project's status changed, so this process's pixel lookups see it at once. */
    private readonly onStatusChange: (projectId: string) => void = () => undefined,
  ) {}

  async create(organizationId: string, name: string, settings: Omit<ProjectChanges, 'name'> = {}): Promise<Project> {
    return this.catalog.projects.createProject({
      organizationId,
      name: requireName(name),
      ...(settings.timeZone === undefined ? {} : { timeZone: requireTimeZone(settings.timeZone) }),
      retentionDays: requireRetention(settings.retentionDays ?? null),
      now: this.now(),
    });
  }

  /** Name, time zone and retention; at least one must be given. */
  async update(organizationId: string, projectId: string, changes: ProjectChanges): Promise<Project> {
    if (changes.name === undefined && changes.timeZone === undefined && changes.retentionDays === undefined) {
      throw fail('invalid_parameters', 'nothing to change: give name, time_zone or retention_days');
    }
    const clean = {
      ...(changes.name === undefined ? {} : { name: requireName(changes.name) }),
      ...(changes.timeZone === undefined ? {} : { timeZone: requireTimeZone(changes.timeZone) }),
      ...(changes.retentionDays === undefined ? {} : { retentionDays: requireRetention(changes.retentionDays) }),
    };
    if (!(await this.catalog.projects.updateProject(organizationId, projectId, clean, this.now()))) throw fail('project_not_found');
    return this.get(organizationId, projectId);
  }

  archive(organizationId: string, projectId: string): Promise<Project> {
    return this.setStatus(organizationId, projectId, 'archived');
  }

  unarchive(organizationId: string, projectId: string): Promise<Project> {
    return this.setStatus(organizationId, projectId, 'active');
  }

  private async setStatus(organizationId: string, projectId: string, status: ProjectStatus): Promise<Project> {
    const project = await this.get(organizationId, projectId);
    if (project.status === status) return project;
    if (!(await this.catalog.projects.setProjectStatus(organizationId, projectId, status, this.now()))) throw fail('project_not_found');
    this.onStatusChange(projectId);
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

  /** Every project with a retention period, of every organization: the retention pass's work list. */
  listWithRetention(): Promise<Project[]> {
    return this.catalog.projects.listProjectsWithRetention();
  }
}

/** An IANA zone name in its canonical spelling, or a 400 that says what is accepted. */
function requireTimeZone(zone: string): string {
  const canonical = canonicalTimeZone(zone.trim());
  if (!canonical)
    throw fail('invalid_parameters', `time_zone must be an IANA time zone name such as UTC or Europe/Berlin, got "${zone.slice(0, 64)}"`);
  return canonical;
}
