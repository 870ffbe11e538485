// Shared HTTP pieces: the app type with the TypeBox provider, the error schema every route
// documents, and the one error handler that turns any failure into the catalogue's JSON body.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { Type } from 'typebox';
import { ApiError, type ErrorBody, type ErrorCode } from './errors.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const ErrorSchema = Type.Object(
  { error: Type.String(), code: Type.Optional(Type.String()), details: Type.Optional(Type.String()) },
  { $id: 'Error', description: 'Every error: {"error": message, "code"?: machine code}' },
);

/** Response schemas for the usual error statuses, merged into each route's `response`. */
export const errorResponses = (...statuses: number[]): Record<number, typeof ErrorSchema> =>
  Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));

/**
 * Adds 429 to the documented responses of the routes of `scope` whose security `applies` (routes
 * that share one request budget, such as every session route's per-person limit). Call it before
 * the routes are added.
 */
export function documentsThrottle(scope: App, applies: (security: readonly Record<string, unknown>[]) => boolean): void {
  scope.addHook('onRoute', (route) => {
    const schema = route.schema as { security?: Record<string, unknown>[]; response?: Record<number, unknown> } | undefined;
    if (!schema?.security || !schema.response || !applies(schema.security)) return;
    schema.response[429] ??= ErrorSchema;
  });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_parameters',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_parameters',
};

/**
 * PostgreSQL's SQLSTATE for text it cannot hold: a NUL character in a path, header, query or body
 * value. The request is at fault, on every route, so it answers 400 and not 500.
 */
const PG_UNSTORABLE_TEXT = '22021';

export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  if (fe.validation) return new ApiError('invalid_parameters', fe.message);
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new ApiError(mapped);
  if (fe.code === PG_UNSTORABLE_TEXT) return new ApiError('invalid_parameters', 'text must not contain NUL characters');
  if (err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new ApiError('invalid_json');
  const status = fe.statusCode ?? 500;
  if (status === 413) return new ApiError('payload_too_large');
  if (status === 415) return new ApiError('unsupported_media_type');
  if (status >= 400 && status < 500) return new ApiError('invalid_parameters', fe.message);
  return new ApiError('internal');
}

export function errorHandler(this: FastifyInstance, err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(err);
  if (apiError.status >= 500) req.log.error({ err }, 'request failed');
  else req.log.info({ code: apiError.code }, 'request rejected');
  reply
    .status(apiError.status)
    .headers(apiError.headers)
    .type('application/json; charset=utf-8')
    .send(apiError.body() satisfies ErrorBody);
}

/**
 * For a response that carries a secret (a token, an API or app secret, a session's CSRF token): no
 * cache, shared or private, may keep a copy of it.
 */
export const noStore = (reply: FastifyReply): void => {
  reply.header('cache-control', 'no-store');
};

export const headerValue = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Whether the client takes a gzip body (`Accept-Encoding: gzip`, not refused with q=0). */
export const acceptsGzip = (req: FastifyRequest): boolean =>
  /\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\s*(?:,|$))/i.test(String(req.headers['accept-encoding'] ?? ''));

/** How many times the request carried a header, counted on the wire (Node merges or drops repeats). */
const occurrences = (req: FastifyRequest, name: string): number => {
  const raw = req.raw.rawHeaders;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) n++;
  return n;
};

export const bearerToken = (req: FastifyRequest): string | undefined => {
  // Node keeps only the first of repeated Authorization headers, and a proxy in front may act on
  // another one: two credentials in one request are refused rather than one picked.
  if (occurrences(req, 'authorization') > 1) throw new ApiError('invalid_parameters', 'send one Authorization header');
  const h = headerValue(req, 'authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
};

/** Response schema of a body that is not JSON (a script, a CSV or NDJSON stream), for OpenAPI. */
export const rawResponse = (description: string, ...mediaTypes: string[]) => ({
  description,
  content: Object.fromEntries(mediaTypes.map((t) => [t, { schema: { type: 'string' } }])),
});
