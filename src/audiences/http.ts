// The HTTP pieces the data API and the dashboard share: which project a data-API call names
// (X-Project-Id or ?project_id=, "both methods work on all endpoints"), and the streamed download.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csvLines } from '../platform/csv.js';
import { fail } from '../platform/errors.js';
import { headerValue } from '../platform/http.js';
import type { AudienceContact } from './schemas.js';
import { DOWNLOAD_COLUMNS } from './service.js';

/** The project of a data-API call: the X-Project-Id header or ?project_id= (the two must agree when both are sent). */
export function projectOf(req: FastifyRequest, query: { project_id?: string | undefined }): string | undefined {
  const header = headerValue(req, 'x-project-id')?.trim() || undefined;
  const param = query.project_id?.trim() || undefined;
  if (header !== undefined && param !== undefined && header !== param) {
    throw fail('invalid_parameters', 'X-Project-Id and project_id name different projects');
  }
  return header ?? param;
}

const cell = (c: AudienceContact, key: string): unknown => {
  const v = (c as Record<string, unknown>)[key];
  return Array.isArray(v) ? v.join(';') : v;
};

/** Streams the pages as CSV (a header row, then one row per person) or NDJSON. */
export function sendDownload(
  reply: FastifyReply,
  audienceId: number,
  pages: AsyncGenerator<AudienceContact[]>,
  format: 'csv' | 'ndjson' = 'csv',
): FastifyReply {
  async function* lines(): AsyncGenerator<string> {
    if (format === 'csv') yield csvLines([DOWNLOAD_COLUMNS]);
    for await (const page of pages) {
      yield format === 'csv'
        ? csvLines(page.map((c) => DOWNLOAD_COLUMNS.map((k) => cell(c, k))))
        : page
            .map((c) => `${JSON.stringify(Object.fromEntries(DOWNLOAD_COLUMNS.map((k) => [k, (c as Record<string, unknown>)[k]])))}\n`)
            .join('');
    }
  }
  reply
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
    .header('Content-Disposition', `attachment; filename="audience-${audienceId}.${format}"`);
  return reply.send(Readable.from(lines()));
}
