// A second audience worker over a test app's real catalog and analytics store, with an evaluator of
// the test's own (one that fails, or that does something between a run's scoring and its write).
import { AudienceJobs, type AudienceJobsDeps } from '../../src/audiences/jobs.js';
import type { Services } from '../../src/services.js';

export function workerWith(
  services: Services,
  evaluator: AudienceJobsDeps['evaluator'],
  opts: Pick<AudienceJobsDeps, 'now' | 'backoffMs'>,
): AudienceJobs {
  return new AudienceJobs({
    catalog: services.catalog,
    projects: services.projects,
    analytics: services.analytics,
    evaluator,
    log: services.log,
    ...opts,
  });
}
