// The optional trackers of a pixel as checkboxes, with the size of the script every visitor of the
// site downloads for the current choice (exact: the server measures every combination).
import { useId } from 'react';
import { eventTypeName } from '../lib/format';
import type { TrackerCatalog } from '../lib/types';

/** Bit i of the index into catalog.sizes is catalog.trackers[i]. */
export function scriptSize(catalog: TrackerCatalog, chosen: readonly string[]): number | undefined {
  const mask = catalog.trackers.reduce((m, t, bit) => (chosen.includes(t.name) ? m | (1 << bit) : m), 0);
  return catalog.sizes[mask];
}

export const formatBytes = (bytes: number | undefined) => (bytes === undefined ? '…' : `${(bytes / 1024).toFixed(2)} KB`);

export function TrackerChoice({
  catalog,
  chosen,
  onChange,
}: {
  catalog: TrackerCatalog;
  chosen: readonly string[];
  onChange: (next: string[]) => void;
}) {
  const id = useId();
  return (
    <fieldset className="trackers">
      <legend>What the pixel tracks</legend>
      <p className="hint">Page views on load are always sent, and so are your own track() and identify() calls.</p>
      {catalog.trackers.map((t) => (
        <div className="checkbox" key={t.name}>
          <input
            id={`${id}-${t.name}`}
            type="checkbox"
            name="trackers"
            value={t.name}
            checked={chosen.includes(t.name)}
            onChange={(e) =>
              onChange(catalog.trackers.map((x) => x.name).filter((n) => (n === t.name ? e.target.checked : chosen.includes(n))))
            }
          />
          <label htmlFor={`${id}-${t.name}`}>
            {t.label} <span className="muted">(sends {t.events.map((e) => eventTypeName(e).toLowerCase()).join(', ')})</span>
          </label>
        </div>
      ))}
      <p className="hint" aria-live="polite" data-testid="script-size">
        Script size with this choice: {formatBytes(scriptSize(catalog, chosen))} gzipped
      </p>
    </fieldset>
  );
}
