// The CLI's progress line and summary, directly: what a terminal shows (a bar redrawn in place),
// what a log shows (plain lines), the time left from the byte rate, and the final report.
import { describe, expect, it } from 'vitest';
import { formatDuration, renderProgress, summary } from '../../src/identity-import/cli.js';

describe('renderProgress', () => {
  const state = { phase: 'importing' as const, bytes_total: 1000, bytes_read: 250, rows_read: 50_000, since: 0 };

  it('draws a bar for a terminal: percent of bytes, rows, rows/s and the time left at the byte rate', () => {
    expect(renderProgress(state, 10_000, 80)).toMatch(/^\[#{9}\.{26}\] {2}25% {2}50,000 rows/);
    // 250 of 1000 bytes in 10 s: 25 bytes/s, 750 left, 30 s to go; 50,000 rows in 10 s.
    expect(renderProgress(state, 10_000, 200)).toBe(`[${'#'.repeat(10)}${'.'.repeat(30)}]  25%  50,000 rows  5,000 rows/s  ETA 30 s`);
  });

  it('writes a plain line elsewhere, and says done at the end', () => {
    expect(renderProgress(state, 10_000, null)).toBe('importing: 25% (50,000 rows  5,000 rows/s  ETA 30 s)');
    expect(renderProgress({ ...state, bytes_read: 1000 }, 10_000, null)).toBe('importing: 100% (50,000 rows  5,000 rows/s  done)');
    expect(renderProgress({ ...state, phase: 'uploading', bytes_total: 3 * 1048576, bytes_read: 1048576 }, 2000, null)).toBe(
      'uploading: 33% (uploading 1.0 of 3.0 MiB  ETA 4 s)',
    );
    expect(renderProgress({ ...state, bytes_read: 0, rows_read: 0 }, 10, null)).toBe('importing: 0% (0 rows  0 rows/s  ETA --)');
  });

  it('formats durations as seconds, minutes and hours', () => {
    expect([formatDuration(0.2), formatDuration(59), formatDuration(61), formatDuration(3725)]).toEqual(['1 s', '59 s', '1:01', '1:02:05']);
  });
});

describe('summary', () => {
  const base = {
    import_id: 'imp-1',
    status: 'completed' as const,
    format: 'csv' as const,
    rows_read: 12,
    rows_imported: 0,
    rows_rejected: 12,
    bytes_total: 10,
    bytes_read: 10,
    created_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:02.500Z',
    failure: null,
  };

  it('counts the rows, lists the first ten rejected ones and says how many more there were', () => {
    const errors = Array.from({ length: 12 }, (_, i) => ({ line: i + 2, reason: `bad ${i}` }));
    const lines = summary({ ...base, errors });
    expect(lines[0]).toBe('Import imp-1 completed in 2.5 s: 12 rows read, 0 imported, 12 rejected.');
    expect(lines[1]).toBe('First rejected rows:');
    expect(lines.slice(2, 12)).toEqual(errors.slice(0, 10).map((e) => `  line ${e.line}: ${e.reason}`));
    expect(lines[12]).toBe("  ... and 2 more (the import's status lists the first 100)");
  });

  it('says why a failed import stopped', () => {
    expect(summary({ ...base, status: 'failed', errors: [], rows_rejected: 0, failure: 'the server stopped' })).toEqual([
      'Import imp-1 failed in 2.5 s: 12 rows read, 0 imported, 0 rejected.',
      'It stopped: the server stopped',
    ]);
  });
});
