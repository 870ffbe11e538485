// `delivr demo --org ORG_ID`: loads the demo dataset (a project, a pixel, people, weeks of visits,
// some of them surging) into an organization, so a new operator sees people, intent and audiences
// at once. Where it runs depends on who holds the analytics store: with ADMIN_TOKEN set (in the
// environment or ./.env, as the server reads it) it asks the running server through the operator
// API; otherwise (or with --direct) it opens the store in this process, which works on ClickHouse at
// any time and on the embedded DuckDB file while the server is stopped.
import { parseArgs } from 'node:util';
import { IntentService } from '../intent/service.js';
import { apiErrorOf, causeOf, openStoreHere } from '../platform/cli-support.js';
import { type Config, loadConfig } from '../platform/config.js';
import { fail } from '../platform/errors.js';
import { createLogger } from '../platform/logger.js';
import { createCatalogServices, openAnalytics } from '../services.js';
import { DEMO_DEFAULTS, DEMO_LIMITS, type DemoLoadedOut } from './schemas.js';
import { DemoService } from './service.js';

export const DEMO_USAGE = `  delivr demo --org <organization_id> [--people <n>] [--days <n>] [--url <server URL>] [--direct]`;

export class DemoUsageError extends Error {}

interface Options {
  org: string;
  people: number;
  days: number;
  url: string | null;
  direct: boolean;
}

function parse(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        org: { type: 'string' },
        people: { type: 'string' },
        days: { type: 'string' },
        url: { type: 'string' },
        direct: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new DemoUsageError(err instanceof Error ? err.message : String(err));
  }
  const org = typeof values.org === 'string' ? values.org : '';
  if (!org) throw new DemoUsageError('demo needs --org <organization_id>');
  const whole = (name: 'people' | 'days'): number => {
    const raw = values[name];
    if (raw === undefined) return DEMO_DEFAULTS[name];
    const n = Number(raw);
    const { min, max } = DEMO_LIMITS[name];
    if (!Number.isInteger(n) || n < min || n > max) throw new DemoUsageError(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  return {
    org,
    people: whole('people'),
    days: whole('days'),
    url: typeof values.url === 'string' ? values.url : null,
    direct: values.direct === true,
  };
}

/** Returns the exit status; throws usage, configuration and API errors for the caller to report. */
export async function runDemoCli(
  argv: string[],
  out: (line: string) => void,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const o = parse(argv);
  const config = loadConfig(env);
  const loaded = !o.direct && config.adminToken ? await loadOverHttp(o, config) : await loadHere(o, config, env, out);
  out(`Loaded the demo into project "${loaded.project_id}" (pixel ${loaded.pixel_id}):`);
  out(
    `  ${loaded.people} people with profiles, ${loaded.identified_people} of them identified on the site, ${loaded.surging_people} surging now`,
  );
  out(`  ${loaded.events} events over ${o.days} days, on topics ${loaded.topic_ids.join(', ')}`);
  out(`Open ${config.publicUrl}/${o.org}/people to see who they are.`);
  return 0;
}

async function loadOverHttp(o: Options, config: Config): Promise<DemoLoadedOut> {
  const base = (o.url ?? config.publicUrl).replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/admin/v1/organizations/${encodeURIComponent(o.org)}/demo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ people: o.people, days: o.days }),
    });
  } catch (err) {
    throw fail('unavailable', `could not reach the server at ${base}: ${causeOf(err)} (is it running? --url names it, or use --direct)`);
  }
  if (res.status !== 201) throw await apiErrorOf(res);
  return (await res.json()) as DemoLoadedOut;
}

async function loadHere(
  o: Options,
  config: Config,
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): Promise<DemoLoadedOut> {
  const log = createLogger(env.LOG_LEVEL || 'warn');
  const analytics = await openStoreHere(
    config,
    openAnalytics,
    'set ADMIN_TOKEN (the same in the server\'s environment or .env) so this command asks the server, or stop the server and run again, or use "Load demo data" on the dashboard\'s Projects page',
  );
  try {
    const s = await createCatalogServices(config, log, { catalogPoolSize: 2 });
    try {
      const demo = new DemoService({
        catalog: s.catalog,
        projects: s.projects,
        pixels: s.pixels,
        analytics,
        intent: new IntentService(analytics, s.taxonomy, s.now, log),
        now: s.now,
      });
      let last = '';
      return await demo.load(o.org, { people: o.people, days: o.days }, (step, done, total) => {
        if (done === total && step !== last) {
          last = step;
          out(`  wrote ${total} ${step}`);
        }
      });
    } finally {
      await s.close();
    }
  } finally {
    await analytics.close();
  }
}
