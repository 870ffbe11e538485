// Turns the one built tracker (tracker/dist/p.min.js) into a pixel's own script: GET
// /pixels/{id}/p.js answers renderTracker(loadBuiltTracker(), config). The config is inlined as a
// JSON literal escaped so no value can close a <script> element or end a line inside the JS.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The package root, found from this module whether it runs from src/ (tests) or dist/ (server). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the tracker renderer');
    dir = up;
  }
  return dir;
}

/** Output of `node tracker/build.mjs` (run by `npm run build`). */
export const BUILT_TRACKER_PATH = join(packageRoot(), 'tracker', 'dist', 'p.min.js');

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

/** Reads the built tracker; the server reads it once at start and keeps the string. */
export function loadBuiltTracker(): string {
  if (!existsSync(BUILT_TRACKER_PATH)) throw new Error(`${BUILT_TRACKER_PATH} is missing: run npm run build`);
  return readFileSync(BUILT_TRACKER_PATH, 'utf8');
}
