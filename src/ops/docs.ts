// Options of the Swagger UI at /docs. It is a separate page from the dashboard and gets a
// Content-Security-Policy of its own (it had none): as strict as the dashboard's, plus what Swagger
// UI needs. It loads its scripts and styles from /docs/static, fetches the document from /docs/json
// and sends "Try it out" requests to this origin; it must not be framed. The online validator badge
// (an image from validator.swagger.io that would receive the document's URL) is switched off.
import type { SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

export const DOCS_CONTENT_SECURITY_POLICY = {
  'default-src': "'none'",
  'script-src': "'self'",
  // The one inline <style> Swagger UI writes: the colours of its logo (an SVG in the bundle). Its
  // hash changes only with swagger-ui's bundle; test/web/docs.test.ts fails on any violation.
  'style-src': "'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  'img-src': "'self' data:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
  'object-src': "'none'",
};

export const docsUiOptions: FastifySwaggerUiOptions = {
  routePrefix: '/docs',
  staticCSP: DOCS_CONTENT_SECURITY_POLICY,
  // Tags start collapsed: drawing every operation at once (about 150) stalls Swagger UI's first
  // render for good past roughly 140 of them; a reader opens the section they want.
  uiConfig: { validatorUrl: null, docExpansion: 'none' },
};

type Operation = { operationId?: string; security?: unknown[] };
type Paths = Record<string, Record<string, Operation> | undefined>;
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * The last touches of /openapi.json, so that `redocly lint` passes (test/api/openapi.test.ts runs
 * it): the server it is served from, the licence, an operationId for every operation (its method
 * and path, `getApiV2Events`), and `security: []` on the routes that take no credentials (sign-in,
 * ingest, health), so "no security" is stated rather than forgotten.
 */
export function completeDocument(publicUrl: string): SwaggerTransformObject {
  return (input) => {
    if (!('openapiObject' in input)) return input.swaggerObject;
    const doc = input.openapiObject;
    doc.servers = [{ url: publicUrl }];
    if (doc.info) doc.info = { ...doc.info, license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' } };
    for (const [path, item] of Object.entries((doc.paths ?? {}) as Paths)) {
      for (const [method, op] of Object.entries(item ?? {})) {
        if (!METHODS.has(method)) continue;
        op.operationId ??= operationId(method, path);
        op.security ??= [];
      }
    }
    return doc;
  };
}

/** `get` + `/api/v2/events/{id}` → `getApiV2EventsById`; unique because method and path are. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') ? `by_${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter((w) => w !== '');
  return method + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}
