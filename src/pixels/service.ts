// Pixels: created in a project, each with its own tracker choice and privacy setting, served as a
// script at its installation URL and accepted by ingest while live. Reads take the caller's
// organization(s) and answer "not found" for another tenant's pixel. The live-pixel lookup on the
// ingest and script paths is cached for two seconds: a deleted pixel, or one whose project is
// archived, stops being accepted (and its script answers 404) within that time on every process,
// at once on the process that made the change.
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../platform/config.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { Project } from '../projects/store.js';
import { normaliseRedirectHosts } from './redirect-hosts.js';
import type { Pixel } from './store.js';
import { DEFAULT_TRACKERS, normaliseTrackers } from './trackers.js';

const PIXEL_CACHE_MS = 2000;
const PIXEL_CACHE_MAX = 10_000;

export interface PixelSettings {
  title?: string;
  respectPrivacy?: boolean;
  trackers?: readonly string[];
  /** Hosts its redirects may go to (redirect-hosts.ts); checked here. */
  redirectHosts?: readonly string[];
}

export class PixelsService {
  private readonly live = new Map<string, { pixel: Pixel | null; at: number }>();
  private readonly seenFirstEvent = new Set<string>();

  constructor(
    private readonly catalog: Catalog,
    private readonly config: Pick<Config, 'publicUrl'>,
    private readonly now: () => number,
  ) {}

  installationUrl(pixelId: string): string {
    return `${this.config.publicUrl}/pixels/${pixelId}/p.js`;
  }

  snippet(pixelId: string): string {
    return `<script id="delivr-ai" src="${this.installationUrl(pixelId)}" async></script>`;
  }

  /** Where the tracker sends events. */
  collectEndpoint(): string {
    return `${this.config.publicUrl}/pixel/core/api/send-event`;
  }

  async create(project: Project, title: string, settings: Omit<PixelSettings, 'title'> = {}): Promise<Pixel> {
    // A pixel made in an archived project could never collect: say so rather than hand out a dead snippet.
    if (project.status !== 'active') throw fail('project_inactive');
    return this.catalog.pixels.createPixel({
      organizationId: project.organization_id,
      projectId: project.id,
      title: requireName(title, 'title'),
      respectPrivacy: settings.respectPrivacy ?? false,
      trackers: normaliseTrackers(settings.trackers ?? DEFAULT_TRACKERS).join(','),
      redirectHosts: normaliseRedirectHosts(settings.redirectHosts ?? []).join(','),
      now: this.now(),
    });
  }

  /** Title, privacy setting, trackers and redirect hosts; the script served for the pixel follows within its cache time. */
  async update(pixel: Pixel, changes: PixelSettings): Promise<Pixel> {
    const stored = {
      ...(changes.title === undefined ? {} : { title: requireName(changes.title, 'title') }),
      ...(changes.respectPrivacy === undefined ? {} : { respectPrivacy: changes.respectPrivacy }),
      ...(changes.trackers === undefined ? {} : { trackers: normaliseTrackers(changes.trackers).join(',') }),
      ...(changes.redirectHosts === undefined ? {} : { redirectHosts: normaliseRedirectHosts(changes.redirectHosts).join(',') }),
    };
    if (!(await this.catalog.pixels.updatePixel(pixel.organization_id, pixel.id, stored, this.now()))) throw fail('pixel_not_found');
    // This process sees the change at once (others within the cache time).
    this.live.delete(pixel.id);
    const updated = await this.catalog.pixels.getPixel(pixel.id);
    if (!updated) throw fail('pixel_not_found');
    return updated;
  }

  list(project: Project): Promise<Pixel[]> {
    return this.catalog.pixels.listPixels(project.id);
  }

  listForOrganization(organizationId: string): Promise<Pixel[]> {
    return this.catalog.pixels.listOrganizationPixels(organizationId);
  }

  async getIn(organizationIds: readonly string[], pixelId: string): Promise<Pixel> {
    const pixel = await this.catalog.pixels.getPixel(pixelId);
    if (!pixel || !organizationIds.includes(pixel.organization_id)) throw fail('pixel_not_found');
    return pixel;
  }

  async delete(pixel: Pixel): Promise<void> {
    if (!(await this.catalog.pixels.deletePixel(pixel.organization_id, pixel.id, this.now()))) throw fail('pixel_not_found');
    this.live.delete(pixel.id);
  }

  /**
   * A pixel that may collect (live, in an active project) by id, from a two-second cache (public
   * ingest and script paths, any tenant). Archived projects' pixels answer as unknown.
   */
  /** findLive's cached answer if it is still fresh, without waiting (undefined: ask findLive). */
  peekLive(id: string): Pixel | null | undefined {
    const hit = this.live.get(id);
    return hit && this.now() - hit.at < PIXEL_CACHE_MS ? hit.pixel : undefined;
  }

  async findLive(id: string): Promise<Pixel | null> {
    const t = this.now();
    const hit = this.live.get(id);
    if (hit && t - hit.at < PIXEL_CACHE_MS) return hit.pixel;
    const pixel = (await this.catalog.pixels.getCollectingPixel(id)) ?? null;
    if (this.live.size > PIXEL_CACHE_MAX) this.live.clear();
    this.live.set(id, { pixel, at: t });
    return pixel;
  }

  /** Drops this process's cached lookups, after a change that stops or restarts collection (archiving). */
  forgetLive(): void {
    this.live.clear();
  }

  /** Ids of every pixel the project ever had, deleted ones too: whose events retention removes. */
  pixelIdsEver(projectId: string): Promise<string[]> {
    return this.catalog.pixels.listPixelIdsEver(projectId);
  }

  /**
   * Lets the dashboard's install check turn green; one catalog write per pixel per process. Returns
   * undefined, without a promise, when every pixel was marked already (ingest calls it per request).
   */
  markFirstEvents(pixelIds: Iterable<string>, at: number): Promise<void> | undefined {
    // No array unless a pixel is new: this runs for every ingest request.
    let fresh: string[] | undefined;
    for (const id of pixelIds) {
      if (this.seenFirstEvent.has(id)) continue;
      fresh ??= [];
      fresh.push(id);
    }
    return fresh ? this.markEach(fresh, at) : undefined;
  }

  private async markEach(pixelIds: readonly string[], at: number): Promise<void> {
    for (const id of pixelIds) {
      if (this.seenFirstEvent.has(id)) continue;
      this.seenFirstEvent.add(id);
      await this.catalog.pixels.markPixelFirstEvent(id, at);
    }
  }
}
