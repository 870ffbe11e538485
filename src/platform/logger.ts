// Structured logs (pino). Credentials never reach a log line: request logs carry method, path, ip
// and request id only, and the redaction list catches headers if anything logs them.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-api-secret"]',
  'req.headers["x-delivr-client-secret"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.api_secret',
  '*.client_secret',
  '*.token',
];

/** Emailed links carry their token in the path; logs keep the route, never the token. */
export const redactPath = (url: string): string =>
  (url.split('?')[0] ?? '').replace(/^\/(invite|reset-password|confirm-signup)\/[^/]+/, '/$1/[redacted]');

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: { id: string; method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
          id: req.id,
          method: req.method,
          path: redactPath(req.url),
          ip: req.ip ?? req.socket?.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
    },
    destination,
  );
}
