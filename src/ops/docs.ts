// Options of the Swagger UI at /docs. It is a separate page from the dashboard and gets a
// Content-Security-Policy of its own (it had none): as strict as the dashboard's, plus what Swagger
// UI needs. It loads its scripts and styles from /docs/static, fetches the document from /docs/json
// and sends "Try it out" requests to this origin; it must not be framed. The online validator badge
// (an image from validator.swagger.io that would receive the document's URL) is switched off.
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
  uiConfig: { validatorUrl: null },
};
