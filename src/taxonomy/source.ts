// Reads the IAB Tech Lab taxonomies shipped in vendor/iab-taxonomy/ (CC BY 3.0, see NOTICE) into one
// flat list of nodes with their tier path. Pure parsing: which nodes become categories, subcategories
// or topics is decided in build.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../platform/paths.js';

export type SourceName = 'iab_ct' | 'iab_at';

export interface SourceNode {
  source: SourceName;
  /** The taxonomy's own unique id (numeric in most rows, a few alphanumeric ones like `W3CW2J`). */
  id: string;
  parentId: string | null;
  name: string;
  /** Tier names from the top down to this node, e.g. ["Technology & Computing", "Computing", "Internet", "Cloud Computing"]. */
  path: string[];
}

export const SOURCE_DIR = join(PACKAGE_ROOT, 'vendor', 'iab-taxonomy');
export const CONTENT_FILE = 'iab-content-taxonomy-3.1.tsv';
export const AUDIENCE_FILE = 'iab-audience-taxonomy-1.1.tsv';

const clean = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

function rows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
}

/** Content Taxonomy 3.1: a grouping row, a header row, then `id, parent, name, tier 1..4, extension`. */
export function parseContentTaxonomy(text: string): SourceNode[] {
  const out: SourceNode[] = [];
  for (const cells of rows(text).slice(2)) {
    const id = clean(cells[0]);
    if (!id) continue;
    const path = cells.slice(3, 7).map(clean).filter(Boolean);
    out.push({ source: 'iab_ct', id, parentId: clean(cells[1]) || null, name: clean(cells[2]), path });
  }
  return out;
}

/** Audience Taxonomy 1.1: a leading empty column, `id, parent, condensed name, tier 1..6, notes`. */
export function parseAudienceTaxonomy(text: string): SourceNode[] {
  const out: SourceNode[] = [];
  for (const cells of rows(text).slice(1)) {
    const id = clean(cells[1]);
    if (!id) continue;
    // "Purchase Intent*" marks the branch that has an extension document; the star is not part of the name.
    const path = cells
      .slice(4, 10)
      .map(clean)
      .filter(Boolean)
      .map((n) => n.replace(/\*$/, ''));
    const name = path[path.length - 1] ?? '';
    out.push({ source: 'iab_at', id, parentId: clean(cells[2]) || null, name, path });
  }
  return out;
}

export interface SourceData {
  nodes: SourceNode[];
  /** SHA-256 over both files: a different fingerprint means the shipped data changed. */
  fingerprint: string;
}

export function loadSources(dir = SOURCE_DIR): SourceData {
  const content = readFileSync(join(dir, CONTENT_FILE), 'utf8');
  const audience = readFileSync(join(dir, AUDIENCE_FILE), 'utf8');
  const fingerprint = createHash('sha256').update(content).update('\u0000').update(audience).digest('hex');
  return { nodes: [...parseContentTaxonomy(content), ...parseAudienceTaxonomy(audience)], fingerprint };
}
