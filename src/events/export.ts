// Sends an events export (EventsService.export's columns and pages) as a download: NDJSON, or CSV
// with a header row. One place for the data API's export and the dashboard's Events page download.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { EventRecord, FieldName } from '../analytics/types.js';
import { csvLines } from '../platform/csv.js';

export function sendExport(
  reply: FastifyReply,
  format: 'csv' | 'ndjson',
  columns: readonly FieldName[],
  rows: AsyncGenerator<EventRecord[]>,
): FastifyReply {
  async function* lines(): AsyncGenerator<string> {
    if (format === 'csv') yield csvLines([columns]);
    for await (const page of rows) {
      yield format === 'csv' ? csvLines(page.map((r) => columns.map((c) => r[c]))) : page.map((r) => `${JSON.stringify(r)}\n`).join('');
    }
  }
  reply
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
    .header('Content-Disposition', `attachment; filename="events.${format === 'csv' ? 'csv' : 'ndjson'}"`);
  return reply.send(Readable.from(lines()));
}
