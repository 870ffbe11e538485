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

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LOG_METHODS: readonly LogMethod[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * Fastify's per-request logger (its `childLoggerFactory`), made only when a request logs. pino builds a
 * child by serialising and redacting its bindings (the request id) at once: about 2 KB and a few µs per
 * request, which ingest paid thousands of times a second for lines that, above `info`, are never
 * written. A line at a level the server does not write returns without making the child.
 */
export class LazyRequestLogger {
  declare readonly fatal: pino.LogFn;
  declare readonly error: pino.LogFn;
  declare readonly warn: pino.LogFn;
  declare readonly info: pino.LogFn;
  declare readonly debug: pino.LogFn;
  declare readonly trace: pino.LogFn;
  private made: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
  ) {}

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  silent(): void {}

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.real().child(bindings, options);
  }

  /** Writes one line (through the child, made now if need be) unless the server does not write `method`. */
  write(method: LogMethod, args: unknown[]): void {
    if (this.made === null && !this.parent.isLevelEnabled(method)) return;
    (this.real()[method] as (...a: unknown[]) => void)(...args);
  }

  private real(): Logger {
    this.made ??= this.parent.child(this.bindings);
    return this.made;
  }
}
for (const method of LOG_METHODS) {
  Object.defineProperty(LazyRequestLogger.prototype, method, {
    value(this: LazyRequestLogger, ...args: unknown[]): void {
      this.write(method, args);
    },
  });
}
