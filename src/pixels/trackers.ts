// The optional trackers a pixel can switch on (clicks, forms, ...). tracker/trackers.json is the one
// list: the tracker build makes a script variant per combination of it, and the server picks the
// variant of a pixel's stored selection. Page views on load are always on and not in the list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../platform/errors.js';
import { PACKAGE_ROOT } from '../platform/paths.js';

export interface TrackerOption {
  name: string;
  /** The event types this tracker sends. */
  events: string[];
  /** On for pixels created without a `trackers` list. */
  default: boolean;
  label: string;
}

export const TRACKERS: readonly TrackerOption[] = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'tracker', 'trackers.json'), 'utf8'));
export const TRACKER_NAMES: readonly string[] = TRACKERS.map((t) => t.name);
export const DEFAULT_TRACKERS: readonly string[] = TRACKERS.filter((t) => t.default).map((t) => t.name);

/** Checks names (unknown ones are a 400 naming them) and returns them in canonical order, once each. */
export function normaliseTrackers(names: readonly string[]): string[] {
  const unknown = names.filter((n) => !TRACKER_NAMES.includes(n));
  if (unknown.length) throw fail('invalid_parameters', `unknown tracker ${unknown.join(', ')}; known: ${TRACKER_NAMES.join(', ')}`);
  return TRACKER_NAMES.filter((n) => names.includes(n));
}

/** Catalog column text (comma-separated) → names; names the build no longer knows are ignored. */
export function parseStoredTrackers(stored: string): string[] {
  const names = stored.split(',');
  return TRACKER_NAMES.filter((n) => names.includes(n));
}

/** The index of the build variant holding exactly these trackers (bit i = TRACKER_NAMES[i]). */
export function variantIndex(names: readonly string[]): number {
  return TRACKER_NAMES.reduce((mask, name, bit) => (names.includes(name) ? mask | (1 << bit) : mask), 0);
}
