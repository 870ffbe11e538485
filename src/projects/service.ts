// Projects and pixels of an organization. Every read takes the caller's organization and answers
// "not found" for another tenant's object, so ids from elsewhere reveal nothing.
import type { CatalogStore, Pixel, Project } from '../catalog/store.js';
import { DEFAULT_TRACKERS, normaliseTrackers } from '../pixels/trackers.js';
import { fail } from '../platform/errors.js';

export const NAME_MAX = 200;

export class ProjectsService {
  constructor(
    private readonly store: CatalogStore,
    private readonly publicUrl: string,
    private readonly now: () => number,
  ) {}

  installationUrl(pixelId: string): string {
    return `${this.publicUrl}/pixels/${pixelId}/p.js`;
  }

  private static cleanName(raw: string, what: string): string {
    const name = raw.trim();
    if (!name || name.length > NAME_MAX) throw fail('invalid_parameters', `${what} must be 1 to ${NAME_MAX} characters`);
    return name;
  }

  async createProject(organizationId: string, name: string): Promise<Project> {
    return this.store.createProject({ organizationId, name: ProjectsService.cleanName(name, 'name'), now: this.now() });
  }

  async renameProject(organizationId: string, projectId: string, name: string): Promise<Project> {
    const clean = ProjectsService.cleanName(name, 'name');
    if (!(await this.store.renameProject(organizationId, projectId, clean, this.now()))) throw fail('project_not_found');
    return this.getProject(organizationId, projectId);
  }

  async getProject(organizationId: string, projectId: string): Promise<Project> {
    const project = await this.store.getProject(projectId);
    if (!project || project.organization_id !== organizationId) throw fail('project_not_found');
    return project;
  }

  /** The project, if it belongs to one of the given organizations. */
  async getProjectIn(organizationIds: readonly string[], projectId: string): Promise<Project> {
    const project = await this.store.getProject(projectId);
    if (!project || !organizationIds.includes(project.organization_id)) throw fail('project_not_found');
    return project;
  }

  listProjects(organizationId: string): Promise<Project[]> {
    return this.store.listProjects(organizationId);
  }

  async createPixel(
    project: Project,
    title: string,
    options: { respectPrivacy?: boolean; trackers?: readonly string[] } = {},
  ): Promise<Pixel> {
    return this.store.createPixel({
      organizationId: project.organization_id,
      projectId: project.id,
      title: ProjectsService.cleanName(title, 'title'),
      respectPrivacy: options.respectPrivacy ?? false,
      trackers: normaliseTrackers(options.trackers ?? DEFAULT_TRACKERS).join(','),
      now: this.now(),
    });
  }

  /** Title, privacy setting and trackers; the script served for the pixel follows within its cache time. */
  async updatePixel(pixel: Pixel, changes: { title?: string; respectPrivacy?: boolean; trackers?: readonly string[] }): Promise<Pixel> {
    const stored = {
      ...(changes.title === undefined ? {} : { title: ProjectsService.cleanName(changes.title, 'title') }),
      ...(changes.respectPrivacy === undefined ? {} : { respectPrivacy: changes.respectPrivacy }),
      ...(changes.trackers === undefined ? {} : { trackers: normaliseTrackers(changes.trackers).join(',') }),
    };
    if (!(await this.store.updatePixel(pixel.organization_id, pixel.id, stored, this.now()))) throw fail('pixel_not_found');
    const updated = await this.store.getPixel(pixel.id);
    if (!updated) throw fail('pixel_not_found');
    return updated;
  }

  listPixels(project: Project): Promise<Pixel[]> {
    return this.store.listPixels(project.id);
  }

  async getPixelIn(organizationIds: readonly string[], pixelId: string): Promise<Pixel> {
    const pixel = await this.store.getPixel(pixelId);
    if (!pixel || !organizationIds.includes(pixel.organization_id)) throw fail('pixel_not_found');
    return pixel;
  }

  async deletePixel(pixel: Pixel): Promise<void> {
    if (!(await this.store.deletePixel(pixel.organization_id, pixel.id, this.now()))) throw fail('pixel_not_found');
  }
}
