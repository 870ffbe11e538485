// Turns the built tracker variants (tracker/dist/p.variants.json, one per combination of optional
// trackers) into a pixel's own script: GET /pixels/{id}/p.js answers renderTracker(the variant of
// the pixel's trackers, config). The config is inlined as a JSON literal escaped so no value can
// close a <script> element or end a line inside the JS.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../platform/paths.js';
import { TRACKER_NAMES, TRACKERS, type TrackerOption } from './trackers.js';

export interface TrackerConfig {
  pixelId: string;
  organizationId: string;
  /** Absolute URL of the ingest endpoint, e.g. https://host/pixel/core/api/send-event. */
  endpoint: string;
  /** When true, browsers sending Do Not Track or Global Privacy Control send nothing. */
  respectPrivacySignals: boolean;
}

/** The identifier the build leaves, exactly once, where the config goes. */
export const CONFIG_PLACEHOLDER = '__DELIVR_CONFIG__';

/** Output of `node tracker/build.mjs` (run by `npm run build`). */
export const BUILT_TRACKER_PATH = join(PACKAGE_ROOT, 'tracker', 'dist', 'p.variants.json');

export interface BuiltTracker {
  /** Optional tracker names in bit order. */
  trackers: string[];
  /** variants[mask]: the script with exactly the trackers whose bits are set in mask. */
  variants: string[];
}

const UNSAFE_IN_SCRIPT = /[<>\u2028\u2029]/g;

/** JSON that is also safe inside a <script> element and in pre-ES2019 engines (U+2028/U+2029). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_SCRIPT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderTracker(built: string, config: TrackerConfig): string {
  const parts = built.split(CONFIG_PLACEHOLDER);
  if (parts.length !== 2) throw new Error(`built tracker must contain ${CONFIG_PLACEHOLDER} exactly once`);
  // Positional, in the order tracker/src/p.ts destructures it: keys would cost bytes in every copy.
  const literal = safeJson([config.pixelId, config.organizationId, config.endpoint, config.respectPrivacySignals === true]);
  // Joined, not String.replace: a `$&` or `$'` inside a value must stay literal.
  return parts.join(literal);
}

/** Reads the built variants; the server reads them once and keeps them (about 1.5 MB). */
export function loadBuiltTracker(): BuiltTracker {
  if (!existsSync(BUILT_TRACKER_PATH)) throw new Error(`${BUILT_TRACKER_PATH} is missing: run npm run build`);
  const built = JSON.parse(readFileSync(BUILT_TRACKER_PATH, 'utf8')) as BuiltTracker;
  if (built.trackers.join() !== TRACKER_NAMES.join() || built.variants.length !== 1 << built.trackers.length)
    throw new Error(`${BUILT_TRACKER_PATH} was built for other trackers: run npm run build`);
  return built;
}

/**
 * Gzipped size of every variant as served, config inlined (index = mask). A pixel's real ids give
 * the same size within about 20 B (random UUIDs gzip a little differently). For the dashboard's size preview.
 */
export function servedSizes(built: BuiltTracker): number[] {
  const config: TrackerConfig = {
    pixelId: randomUUID(),
    organizationId: randomUUID(),
    endpoint: 'https://collect.example.com/pixel/core/api/send-event',
    respectPrivacySignals: false,
  };
  return built.variants.map((code) => gzipSync(renderTracker(code, config)).length);
}

let loaded: BuiltTracker | undefined;
/** The build, read on first use and kept for the life of the process. */
export function builtTracker(): BuiltTracker {
  loaded ??= loadBuiltTracker();
  return loaded;
}

let catalog: { trackers: readonly TrackerOption[]; sizes: number[] } | undefined;
/** What the dashboard shows when choosing trackers: sizes[mask] is the gzipped script, bit i = trackers[i]. */
export function trackerCatalog(): { trackers: readonly TrackerOption[]; sizes: number[] } {
  catalog ??= { trackers: TRACKERS, sizes: servedSizes(builtTracker()) };
  return catalog;
}
