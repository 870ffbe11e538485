// Loads the demo dataset (generate.ts) into an organization: a project and a pixel in the catalog,
// then profiles, visitor links and events in the analytics store, and the site's pages classified by
// the real classifier, as ingest would have done. It writes through the same store interfaces as
// import and ingest, so the demo behaves exactly like data the organization collected itself. It
// needs the analytics store open, so it runs in the server (dashboard button, admin API) or in a CLI
// process that may open the store (ClickHouse, or DuckDB while the server is stopped).
import type { AnalyticsStore } from '../analytics/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { IntentService } from '../intent/service.js';
import type { PixelsService } from '../pixels/service.js';
import { fail } from '../platform/errors.js';
import type { ProjectsService } from '../projects/service.js';
import { generateDemo } from './generate.js';
import { DEMO_DEFAULTS, DEMO_LIMITS, type DemoLoadedOut } from './schemas.js';
import { DEMO_HOST, DEMO_TOPICS } from './site.js';

/** The demo project is found again by this name: a second load into the same organization is refused. */
export const DEMO_PROJECT_NAME = 'Northwind Cloud (demo)';

const CHUNK = 5000;

export type DemoLoaded = DemoLoadedOut;

export type DemoProgress = (step: string, done: number, total: number) => void;

export class DemoService {
  constructor(
    private readonly deps: {
      catalog: Catalog;
      projects: ProjectsService;
      pixels: PixelsService;
      analytics: AnalyticsStore;
      intent: Pick<IntentService, 'learnPages'>;
      now: () => number;
    },
  ) {}

  async load(
    organizationId: string,
    opts: { people?: number; days?: number; seed?: number } = {},
    progress: DemoProgress = () => undefined,
  ): Promise<DemoLoaded> {
    const people = opts.people ?? DEMO_DEFAULTS.people;
    const days = opts.days ?? DEMO_DEFAULTS.days;
    for (const [name, value] of [
      ['people', people],
      ['days', days],
    ] as const) {
      const { min, max } = DEMO_LIMITS[name];
      if (!Number.isInteger(value) || value < min || value > max)
        throw fail('invalid_parameters', `${name} must be a whole number from ${min} to ${max}`);
    }
    if (!(await this.deps.catalog.organizations.getOrganization(organizationId))) throw fail('organization_not_found');
    const existing = (await this.deps.projects.list(organizationId)).find((p) => p.name === DEMO_PROJECT_NAME);
    if (existing) throw fail('demo_exists', `project ${existing.id}`);

    const project = await this.deps.projects.create(organizationId, DEMO_PROJECT_NAME);
    const pixel = await this.deps.pixels.create(project, `${DEMO_HOST} (demo)`);
    const data = generateDemo({
      organizationId,
      projectId: project.id,
      pixelId: pixel.id,
      people,
      days,
      now: this.deps.now(),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    });
    const { analytics } = this.deps;
    // Pages first, so the events' topics are known the moment they are readable.
    await this.deps.intent.learnPages(data.pageSamples);
    await inChunks(
      data.profiles,
      (chunk) => analytics.mergeProfiles(organizationId, chunk, this.deps.now()),
      (n) => progress('profiles', n, data.profiles.length),
    );
    await inChunks(
      data.links,
      (chunk) => analytics.linkVisitors(organizationId, chunk),
      (n) => progress('visitor links', n, data.links.length),
    );
    await inChunks(
      data.events,
      (chunk) => analytics.appendEvents(chunk),
      (n) => progress('events', n, data.events.length),
    );
    return {
      project_id: project.id,
      pixel_id: pixel.id,
      people: data.people.length,
      identified_people: data.people.filter((p) => p.visitors.length > 0).length,
      surging_people: data.people.filter((p) => p.surgeTopic !== null).length,
      events: data.events.length,
      topic_ids: DEMO_TOPICS.map((t) => t.topicId),
    };
  }
}

async function inChunks<T>(rows: readonly T[], write: (chunk: readonly T[]) => Promise<void>, done: (n: number) => void): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await write(rows.slice(i, i + CHUNK));
    done(Math.min(rows.length, i + CHUNK));
  }
}
