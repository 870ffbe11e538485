// Runs the real build script so a fresh clone (no tracker/dist) tests exactly what would be served.
// It always rebuilds: esbuild takes milliseconds, and a stale dist could otherwise pass for current.
// The script writes via rename, so test files building in parallel never read a half-written file.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BUILD_SCRIPT = fileURLToPath(new URL('../../tracker/build.mjs', import.meta.url));

/** Builds into tracker/dist/p.min.js (or `outfile`) and returns the script's size report line. */
export function buildTracker(args: string[] = []): string {
  return execFileSync(process.execPath, [BUILD_SCRIPT, ...args], { encoding: 'utf8' }).trim();
}
