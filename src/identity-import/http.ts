// The HTTP side of an import upload, shared by the data API and dashboard routes: content-type
// parsers that hand the raw request stream to the handler untouched (Fastify would otherwise buffer
// the body, and an import may be a gigabyte), scoped to the import routes only; the 415 for any other
// body type, before the body schema is checked; and reading the upload into the import service.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../platform/http.js';
import type { ImportFormat } from './rows.js';
import { IdentityImportService, IMPORT_MEDIA_TYPES } from './service.js';

export const IMPORT_CONTENT_TYPES = Object.keys(IMPORT_MEDIA_TYPES);

/**
 * Registers `routes` in a scope of their own where CSV and NDJSON bodies are left unread (the body
 * is the empty string; the stream is `req.raw`) and any other body type is refused with 415.
 */
export function streamingImportScope(app: App, routes: (scope: App) => void): void {
  void app.register(async (instance: FastifyInstance) => {
    const scope = instance.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser(IMPORT_CONTENT_TYPES, (_req, _payload, done) => done(null, ''));
    scope.addHook('preValidation', async (req) => {
      importFormat(req);
    });
    routes(scope);
  });
}

/** The upload's format from its Content-Type; 415 for anything else. */
export function importFormat(req: FastifyRequest): ImportFormat {
  const type = req.headers['content-type'];
  return IdentityImportService.formatOf(Array.isArray(type) ? type[0] : type);
}

/** Reads the upload into the service; on a refusal before the body's end, closes the connection instead of reading on. */
export async function receiveUpload(
  service: IdentityImportService,
  req: FastifyRequest,
  reply: FastifyReply,
  who: { organizationId: string; createdBy: string },
): Promise<{ import_id: string; status: 'processing' }> {
  const length = req.headers['content-length'];
  try {
    return await service.receive({
      organizationId: who.organizationId,
      format: importFormat(req),
      body: req.raw,
      contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
      createdBy: who.createdBy,
    });
  } catch (err) {
    if (!req.raw.readableEnded) reply.header('connection', 'close');
    throw err;
  }
}
