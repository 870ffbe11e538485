// `delivr identities import FILE --org ORG_ID`: imports a CSV or NDJSON file of people, with a
// progress bar on a terminal (plain progress lines otherwise) and a summary at the end.
//
// Two ways, because DuckDB lets one process open its file: by default the file is streamed to the
// running server's import API (`--url`, default PUBLIC_URL) with an organization API key + secret
// (`--key`/`--secret` or DELIVR_API_KEY/DELIVR_API_SECRET), and its progress is read back from the
// import's status; with `--direct` the CLI opens the analytics store itself and imports in this
// process, which works on ClickHouse at any time and on DuckDB only while the server is stopped.
// Both record the import in the catalog, so the dashboard lists it either way.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { parseArgs } from 'node:util';
import { apiErrorOf, causeOf, openStoreHere } from '../platform/cli-support.js';
import { type Config, loadConfig } from '../platform/config.js';
import { fail } from '../platform/errors.js';
import { createLogger } from '../platform/logger.js';
import { createCatalogServices, openAnalytics } from '../services.js';
import type { ImportFormat } from './rows.js';
import type { IdentityImportView } from './schemas.js';
import { checkFirstLine, IdentityImportService, importView, type Progress } from './service.js';

export const IMPORT_USAGE = `  delivr identities import <file> --org <organization_id> [--format csv|ndjson]
        [--url <server URL>] [--key <api key> --secret <api secret>] [--direct]`;

const HELP = `Usage:
${IMPORT_USAGE}

Imports people from a CSV file (a header row of identity field keys, plus email or
hem_sha256 + hem_md5, and visitor_id to link a cookie id) or NDJSON (one object per line).
By default the file is sent to the running server (--url, default PUBLIC_URL) with an
organization API key and secret (--key/--secret, or DELIVR_API_KEY/DELIVR_API_SECRET).
--direct imports in this process instead: with ClickHouse at any time, with the embedded
DuckDB store only while the server is stopped. Re-importing a file changes nothing.
See docs/identity.md#import.`;

export class ImportUsageError extends Error {}

export interface CliIo {
  out: (line: string) => void;
  /** Progress goes to stderr, so the summary on stdout can be piped. */
  err: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
}

interface Options {
  file: string;
  org: string;
  format: ImportFormat;
  url: string | null;
  key: string | null;
  secret: string | null;
  direct: boolean;
}

function parse(argv: string[], env: CliIo['env']): Options {
  let parsed: ReturnType<typeof parseArgs<{ options: Record<string, { type: 'string' | 'boolean' }>; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        org: { type: 'string' },
        format: { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        secret: { type: 'string' },
        direct: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ImportUsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new ImportUsageError('identities import needs exactly one file');
  const org = typeof values.org === 'string' ? values.org : '';
  if (!org) throw new ImportUsageError('identities import needs --org <organization_id>');
  const file = resolve(positionals[0] as string);
  const named = typeof values.format === 'string' ? values.format : null;
  const ext = extname(file).toLowerCase();
  const format = named ?? (ext === '.csv' ? 'csv' : ext === '.ndjson' || ext === '.jsonl' ? 'ndjson' : null);
  if (format !== 'csv' && format !== 'ndjson') {
    throw new ImportUsageError(
      named
        ? `--format must be csv or ndjson, got "${named}"`
        : `cannot tell the format of ${file}: name it .csv or .ndjson, or give --format`,
    );
  }
  const direct = values.direct === true;
  const key = (typeof values.key === 'string' ? values.key : env.DELIVR_API_KEY) || null;
  const secret = (typeof values.secret === 'string' ? values.secret : env.DELIVR_API_SECRET) || null;
  if (!direct && (!key || !secret)) {
    throw new ImportUsageError(
      'identities import needs an organization API key and secret (--key and --secret, or DELIVR_API_KEY and DELIVR_API_SECRET; create one in the dashboard under Settings > API keys), or --direct',
    );
  }
  return { file, org, format, url: typeof values.url === 'string' ? values.url : null, key, secret, direct };
}

/** `delivr identities ...`: returns the exit status (0 done, 1 the import failed, 2 the command or file is wrong). */
export async function runIdentitiesCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  if (command !== 'import') throw new ImportUsageError(`unknown command "identities ${command}"`);
  const o = parse(rest, io.env);
  const config = loadConfig(io.env);
  const size = await stat(o.file)
    .then((s) => s.size)
    .catch(() => {
      throw new ImportUsageError(`cannot read ${o.file}`);
    });
  // The same first-line check as the server's, before anything is sent or opened.
  const problem = checkFirstLine(o.format, await firstLine(o.file));
  if (problem) throw problem;
  const bar = new ProgressBar(io.err, `importing ${o.file}`);
  const view = o.direct ? await importDirect(o, config, io.env, bar) : await importOverHttp(o, size, config.publicUrl, bar);
  bar.done();
  for (const line of summary(view)) io.out(line);
  return view.status === 'completed' ? 0 : 1;
}

async function importDirect(o: Options, config: Config, env: CliIo['env'], bar: ProgressBar): Promise<IdentityImportView> {
  const log = createLogger(env.LOG_LEVEL || 'warn');
  const analytics = await openStoreHere(config, openAnalytics, 'stop it and run again, or import through the server without --direct');
  const s = await createCatalogServices(config, log, { catalogPoolSize: 2 }).catch(async (err: unknown) => {
    await analytics.close();
    throw err;
  });
  const imports = new IdentityImportService({ imports: s.catalog.identityImports, analytics, config, log, now: s.now });
  try {
    if (!(await s.catalog.organizations.getOrganization(o.org))) throw fail('organization_not_found');
    const started = Date.now();
    const record = await imports.importFile({
      organizationId: o.org,
      format: o.format,
      path: o.file,
      createdBy: 'cli',
      onProgress: (p: Progress) => bar.update({ phase: 'importing', ...p, since: started }),
    });
    return importView(record);
  } finally {
    await imports.close();
    await analytics.close();
    await s.close();
  }
}

async function importOverHttp(o: Options, size: number, publicUrl: string, bar: ProgressBar): Promise<IdentityImportView> {
  const base = (o.url ?? publicUrl).replace(/\/+$/, '');
  const headers = { 'x-api-key': o.key as string, 'x-api-secret': o.secret as string, 'x-organization-id': o.org };
  const started = Date.now();
  let sent = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      sent += chunk.length;
      bar.update({ phase: 'uploading', bytes_total: size, bytes_read: sent, rows_read: 0, since: started });
      done(null, chunk);
    },
  });
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/identities/import`, {
      method: 'POST',
      headers: { ...headers, 'content-type': o.format === 'csv' ? 'text/csv' : 'application/x-ndjson', 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(o.file).pipe(counting)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    throw fail(
      'unavailable',
      `could not send the file to ${base}: ${causeOf(err)} (is the server running? --url names it, or use --direct)`,
    );
  }
  if (res.status !== 202) throw await apiErrorOf(res);
  const { import_id } = (await res.json()) as { import_id: string };
  const processing = Date.now();
  for (;;) {
    const poll = await fetch(`${base}/api/v1/identities/imports/${encodeURIComponent(import_id)}`, { headers });
    if (poll.status !== 200) throw await apiErrorOf(poll);
    const view = (await poll.json()) as IdentityImportView;
    bar.update({ phase: 'importing', ...view, since: processing });
    if (view.status !== 'processing') return view;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The server's error body as the ApiError it came from, so the CLI exits as for a local refusal. */

async function firstLine(path: string): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    const nl = chunk.indexOf(10);
    if (nl !== -1) return Buffer.concat([...chunks, chunk.subarray(0, nl)]);
    chunks.push(chunk);
    if (chunks.length > 16) break;
  }
  return chunks.length === 0 ? null : Buffer.concat(chunks);
}

const n = (x: number): string => x.toLocaleString('en');

/** The final report: counts, and the first rejected rows with their line. */
export function summary(v: IdentityImportView): string[] {
  const took = v.finished_at ? ` in ${((Date.parse(v.finished_at) - Date.parse(v.created_at)) / 1000).toFixed(1)} s` : '';
  const lines = [
    `Import ${v.import_id} ${v.status}${took}: ${n(v.rows_read)} rows read, ${n(v.rows_imported)} imported, ${n(v.rows_rejected)} rejected.`,
  ];
  if (v.failure) lines.push(`It stopped: ${v.failure}`);
  if (v.errors.length > 0) {
    lines.push('First rejected rows:');
    for (const e of v.errors.slice(0, 10)) lines.push(`  line ${e.line}: ${e.reason}`);
    if (v.rows_rejected > 10) lines.push(`  ... and ${n(v.rows_rejected - 10)} more (the import's status lists the first 100)`);
  }
  return lines;
}

export interface ProgressState {
  phase: 'uploading' | 'importing';
  bytes_total: number;
  bytes_read: number;
  rows_read: number;
  /** When this phase started (epoch ms). */
  since: number;
}

/** One progress line: percent of bytes, rows and rows/s, and the time left at the current byte rate. */
export function renderProgress(p: ProgressState, now: number, width: number | null): string {
  const fraction = p.bytes_total > 0 ? Math.min(1, p.bytes_read / p.bytes_total) : 1;
  const seconds = Math.max(0.001, (now - p.since) / 1000);
  const rate = p.bytes_read / seconds;
  const eta = rate > 0 && fraction < 1 ? (p.bytes_total - p.bytes_read) / rate : 0;
  const etaText = fraction >= 1 ? 'done' : rate > 0 ? `ETA ${formatDuration(eta)}` : 'ETA --';
  const facts =
    p.phase === 'uploading'
      ? `uploading ${(p.bytes_read / 1048576).toFixed(1)} of ${(p.bytes_total / 1048576).toFixed(1)} MiB  ${etaText}`
      : `${n(p.rows_read)} rows  ${n(Math.round(p.rows_read / seconds))} rows/s  ${etaText}`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  if (width === null) return `${p.phase}: ${percent.trim()} (${facts})`;
  const barWidth = Math.max(10, Math.min(40, width - facts.length - 10));
  const filled = Math.round(fraction * barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${percent}  ${facts}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${String(s % 60).padStart(2, '0')}`;
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A bar redrawn in place on a terminal; elsewhere a plain line every 2 seconds and at each phase change. */
class ProgressBar {
  private last: ProgressState | null = null;
  private lastDraw = 0;
  private lastPhase: string | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly title: string,
  ) {}

  update(p: ProgressState): void {
    this.last = { ...p };
    const now = Date.now();
    const changed = p.phase !== this.lastPhase;
    if (!changed && now - this.lastDraw < (this.stream.isTTY ? 100 : 2000)) return;
    if (this.lastPhase === null) this.stream.write(`${this.title}\n`);
    else if (changed && this.stream.isTTY) this.stream.write('\n');
    this.lastPhase = p.phase;
    this.lastDraw = now;
    this.draw(now);
  }

  done(): void {
    if (!this.last) return;
    this.draw(Date.now());
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(now: number): void {
    if (!this.last) return;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${renderProgress(this.last, now, this.stream.columns ?? 80)}`);
    else this.stream.write(`${renderProgress(this.last, now, null)}\n`);
  }
}
