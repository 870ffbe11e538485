// The identity half of the analytics store: profiles (one per organization and person, keyed by the
// SHA-256 HEM) and visitor links (which person a first-party visitor id belongs to). Both engines
// implement it; test/analytics/contract.ts checks them alike. Events are resolved through the links
// at query time, so a link made today resolves the visitor's earlier events too, and removing it
// unresolves them.
import type { Profile } from './fields.js';

export type LinkSource = 'form' | 'identify' | 'send_event' | 'sync' | 'import';
export const LINK_SOURCES: readonly LinkSource[] = ['form', 'identify', 'send_event', 'sync', 'import'];

export interface VisitorLink {
  visitor_id: string;
  hem_sha256: string;
  source: LinkSource;
  first_seen: number;
  last_seen: number;
}

export interface NewLink {
  visitor_id: string;
  hem_sha256: string;
  source: LinkSource;
  /** When the signal was seen (epoch ms). */
  at: number;
}

/** A profile write: its hashes, and the fields to set. null or absent fields keep their stored value. */
export type ProfilePatch = { hem_sha256: string; hem_md5: string; hem_sha1: string | null } & Record<string, string | number | null>;

export type HemKind = 'sha256' | 'md5' | 'sha1';

/** A removed visitor link: the person's HEM (lowercase) and the visitor. */
export interface Unlinked {
  hem_sha256: string;
  visitor_id: string;
}

export interface Erased {
  profiles: number;
  links: number;
  events: number;
  /** Rows of stored audience runs that named the person (each run's download loses them). */
  audienceRows: number;
}

export interface PersonSummary {
  hem_sha256: string;
  visitors: number;
  last_seen: number;
  profile: Profile | null;
}

/** Rows of a CSV file (no header line), in `columns` order, for a store that reads CSV itself. */
export interface CsvRows {
  path: string;
  columns: readonly string[];
  newline: '\n' | '\r\n';
  /** How many lines the file has: one row each. */
  rows: number;
}

/**
 * Rows a store read and checked, waiting in a stage to be written: `slow` holds the rows its own
 * checks could not vouch for (index in the file, cells), for identity-import/rows.ts to judge.
 */
export interface StagedRows {
  stage: string;
  slow: { index: number; cells: string[] }[];
}

/** A row that rows.ts accepted, for a stage: its index in the file, its profile and visitor. */
export interface ImportedRow {
  index: number;
  patch: ProfilePatch;
  visitorId: string | null;
}

/** CSV import inside the store (DuckDB): the rows never pass through JavaScript one by one. */
export interface CsvImportStore {
  /**
   * Reads and checks the file into a stage; null when the store's reader does not see exactly
   * `rows.rows` rows (or refuses the file): it must then be read in JavaScript.
   */
  stageCsv(organizationId: string, rows: CsvRows): Promise<StagedRows | null>;
  /**
   * Writes a stage's accepted rows and `more` (rows.ts's verdict on its slow rows) as mergeProfiles
   * and linkVisitors (source `import`, at `at`) would write them, in file order, then drops the stage.
   * A visitor already linked to the same person is left alone.
   */
  commitCsv(organizationId: string, stage: string, more: readonly ImportedRow[], at: number): Promise<void>;
  /** Drops a stage that will not be written. */
  discardCsv(stage: string): Promise<void>;
}

export interface IdentityStore extends Partial<CsvImportStore> {
  /**
   * Merges profiles: a non-null field overwrites, a null or absent one keeps what is stored (an
   * empty cell never erases); writing the same rows again changes nothing.
   */
  mergeProfiles(organizationId: string, patches: readonly ProfilePatch[], now: number): Promise<void>;
  /** Profiles of these SHA-256 HEMs (or MD5 / SHA-1 with `kind`), in no particular order. */
  getProfiles(organizationId: string, hems: readonly string[], kind?: HemKind): Promise<Profile[]>;
  /**
   * Links visitors to people: one current person per visitor (a later signal for another person
   * moves the visitor), first_seen kept, last_seen advanced.
   */
  linkVisitors(organizationId: string, links: readonly NewLink[]): Promise<void>;
  /** The current links of these visitors. */
  linksOfVisitors(organizationId: string, visitorIds: readonly string[]): Promise<VisitorLink[]>;
  /** Every visitor currently linked to a person, oldest link first. */
  linksOfPerson(organizationId: string, hemSha256: string): Promise<VisitorLink[]>;
  /** Removes one link; false when there was none. */
  unlink(organizationId: string, hemSha256: string, visitorId: string): Promise<boolean>;
  /** Identified people, most recently seen first, with their profile when there is one. */
  listPeople(organizationId: string, page: { limit: number; offset: number }): Promise<{ people: PersonSummary[]; total: number }>;
  /** Removes the profile, the links and the HEM from stored events (every trace of the person). */
  erasePerson(organizationId: string, hemSha256: string): Promise<Erased>;
  /** Deletes the events of these pixels older than `beforeMs` (retention); returns how many. */
  deleteEventsBefore(organizationId: string, pixelIds: readonly string[], beforeMs: number): Promise<number>;
}
