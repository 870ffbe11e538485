// `delivr topics review`: the operator's review of custom topic requests from the shell, on the same
// catalog the server uses (no HTTP, no ADMIN_TOKEN needed: shell access is the credential).
//   delivr topics review                       list the requests waiting for approval
//   delivr topics review --accept <id> [--note <text>]
//   delivr topics review --reject <id> [--note <text>]
// A running server sees an accepted topic in its API at once and classifies pages into it within
// seconds (it re-reads custom topics every 10 s).
import { parseArgs } from 'node:util';
import type { TaxonomyService } from './service.js';

export const TOPICS_USAGE = `  delivr topics review [--json]
  delivr topics review --accept <topic_request_id> [--note <text>]
  delivr topics review --reject <topic_request_id> [--note <text>]`;

export class TopicsUsageError extends Error {}

export async function runTopicsCli(argv: string[], service: TaxonomyService, out: (line: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'review') throw new TopicsUsageError(command ? `unknown command "topics ${command}"` : 'missing command after "topics"');
  let values: { accept?: string | undefined; reject?: string | undefined; note?: string | undefined; json?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        accept: { type: 'string' },
        reject: { type: 'string' },
        note: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new TopicsUsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.accept !== undefined && values.reject !== undefined) throw new TopicsUsageError('use either --accept or --reject');
  const id = values.accept ?? values.reject;
  if (id === undefined) {
    if (values.note !== undefined) throw new TopicsUsageError('--note goes with --accept or --reject');
    const rows = await service.listTopicRequests(null, { status: 'waiting_for_approval' }, { limit: 1000, offset: 0 });
    if (values.json) {
      out(JSON.stringify(rows.map((r) => ({ ...r, keywords: JSON.parse(r.keywords) as string[] }))));
    } else if (rows.length === 0) {
      out('No topic requests are waiting for approval.');
    } else {
      for (const r of rows) {
        const keywords = (JSON.parse(r.keywords) as string[]).join(', ');
        out(`${r.id}  ${r.topic_type}  org ${r.organization_id}  "${r.name}"${keywords ? `  keywords: ${keywords}` : ''}`);
        if (r.description) out(`    ${r.description}`);
      }
      out(`${rows.length} waiting. Accept or reject with: delivr topics review --accept <id> | --reject <id> [--note <text>]`);
    }
    return 0;
  }
  const decision = values.accept !== undefined ? 'accepted' : 'rejected';
  // An unknown or already reviewed id is an ApiError: the CLI reports it and exits 2 (the caller's to fix).
  const { request, topic } = await service.review(id, decision, values.note?.trim() || null);
  out(
    topic
      ? `Accepted "${request.name}": topic ${topic.id} now exists for organization ${request.organization_id}.`
      : `Rejected "${request.name}" (${request.id}).`,
  );
  return 0;
}
