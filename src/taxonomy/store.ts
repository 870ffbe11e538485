// Every catalog read and write of the taxonomy: the idempotent sync of the built IAB catalog, the
// filtered listings behind /taxonomy/*, and custom topic requests with their review history. One
// Kysely implementation for SQLite and PostgreSQL; test/taxonomy/store.test.ts runs it on both.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql, type Transaction, type Updateable } from 'kysely';
import { countRows } from '../catalog/count.js';
import type { CatalogDb } from '../catalog/schema.js';
import type { BuiltCatalog } from './build.js';
import type {
  CatalogStatus,
  TaxonomyCategoriesTable,
  TaxonomySubcategoriesTable,
  TaxonomyTopicRequestsTable,
  TaxonomyTopicReviewsTable,
  TaxonomyTopicsTable,
  TopicRequestStatus,
  TopicType,
} from './tables.js';

export type CategoryRow = Selectable<TaxonomyCategoriesTable>;
export type SubcategoryRow = Selectable<TaxonomySubcategoriesTable> & { category_name: string };
export type TopicRow = Selectable<TaxonomyTopicsTable> & { category_name: string | null; subcategory_name: string | null };
export type TopicRequestRow = Selectable<TaxonomyTopicRequestsTable>;
export type TopicReviewRow = Selectable<TaxonomyTopicReviewsTable>;

export interface Page {
  limit: number;
  offset: number;
}

export interface NamedFilter {
  search?: string | undefined;
  status?: CatalogStatus | undefined;
}

export interface SubcategoryFilter extends NamedFilter {
  category_id?: string | undefined;
}

export interface TopicFilter extends SubcategoryFilter {
  subcategory_id?: string | undefined;
  topic_type?: TopicType | undefined;
}

export interface TopicRequestFilter {
  status?: TopicRequestStatus | undefined;
  search?: string | undefined;
}

export interface TopicRequestInput {
  name: string;
  description: string;
  keywords: string[];
  category_id: string | null;
  subcategory_id: string | null;
  topic_type: TopicType;
}

type Db = Kysely<CatalogDb>;

/** Words of a `search=` value, lowercased; each must appear (in any order) for a row to match. */
export function searchWords(search: string | undefined): string[] {
  if (!search) return [];
  return search
    .toLowerCase()
    .split(/[\s,;]+/)
    .map((w) => w.trim())
    .filter(Boolean)
    .slice(0, 10);
}

/** A LIKE pattern matching `word` anywhere, with LIKE's wildcards taken literally. */
const containing = (word: string): string => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Text a topic is found by with `search=`: its name and keywords, lowercased. */
export const searchTextOf = (name: string, keywords: readonly string[]): string => [name, ...keywords].join(' | ').toLowerCase();

const SYNC_LOCK = 7_350_101;
const BUILD_NAME = 'iab';

export class TaxonomyStore {
  constructor(
    readonly db: Db,
    readonly dialect: 'sqlite' | 'postgres',
  ) {}

  // The shared catalog

  /**
   * Brings the shared catalog in line with `built`: inserts new rows, updates changed ones, marks
   * rows no longer built `inactive` (never deletes: stored signals and customers' filters name them).
   * A fingerprint of the built catalog makes an unchanged restart a single read. Safe when several
   * processes start at once (PostgreSQL advisory lock; SQLite's write lock, taken first).
   */
  async syncCatalog(built: BuiltCatalog, now: number): Promise<{ changed: boolean }> {
    const fingerprint = createHash('sha256').update(JSON.stringify(built)).digest('hex');
    const known = await this.db.selectFrom('taxonomy_builds').select('fingerprint').where('name', '=', BUILD_NAME).executeTakeFirst();
    if (known?.fingerprint === fingerprint) return { changed: false };
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${SYNC_LOCK})`.execute(trx);
      // SQLite: a write before any read takes the database's write lock now, so a second process
      // waits here instead of failing later on a stale snapshot.
      else await trx.deleteFrom('taxonomy_builds').where('name', '=', '__sync_lock__').execute();
      const again = await trx.selectFrom('taxonomy_builds').select('fingerprint').where('name', '=', BUILD_NAME).executeTakeFirst();
      if (again?.fingerprint === fingerprint) return { changed: false };
      await syncRows(trx, built, now);
      if (again) await trx.updateTable('taxonomy_builds').set({ fingerprint, built_at: now }).where('name', '=', BUILD_NAME).execute();
      else await trx.insertInto('taxonomy_builds').values({ name: BUILD_NAME, fingerprint, built_at: now }).execute();
      return { changed: true };
    });
  }

  async listCategories(f: NamedFilter, page: Page): Promise<CategoryRow[]> {
    return this.categoriesQuery(f).selectAll().orderBy('name').orderBy('id').limit(page.limit).offset(page.offset).execute();
  }

  async countCategories(f: NamedFilter): Promise<number> {
    return countRows(this.categoriesQuery(f));
  }

  getCategory(id: string): Promise<CategoryRow | undefined> {
    return this.db.selectFrom('taxonomy_categories').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private categoriesQuery(f: NamedFilter) {
    let q = this.db.selectFrom('taxonomy_categories');
    if (f.status) q = q.where('status', '=', f.status);
    for (const w of searchWords(f.search)) q = q.where(sql<boolean>`lower(name) like ${containing(w)} escape ${'\\'}`);
    return q;
  }

  async listSubcategories(f: SubcategoryFilter, page: Page): Promise<SubcategoryRow[]> {
    return this.subcategoriesQuery(f)
      .selectAll('s')
      .select('c.name as category_name')
      .orderBy('s.name')
      .orderBy('s.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
  }

  async countSubcategories(f: SubcategoryFilter): Promise<number> {
    return countRows(this.subcategoriesQuery(f));
  }

  getSubcategory(id: string): Promise<SubcategoryRow | undefined> {
    return this.subcategoriesQuery({}).selectAll('s').select('c.name as category_name').where('s.id', '=', id).executeTakeFirst();
  }

  private subcategoriesQuery(f: SubcategoryFilter) {
    let q = this.db.selectFrom('taxonomy_subcategories as s').innerJoin('taxonomy_categories as c', 'c.id', 's.category_id');
    if (f.status) q = q.where('s.status', '=', f.status);
    if (f.category_id !== undefined) q = q.where('s.category_id', '=', f.category_id);
    for (const w of searchWords(f.search)) q = q.where(sql<boolean>`lower(s.name) like ${containing(w)} escape ${'\\'}`);
    return q;
  }

  /** Topics the organization sees: the shared catalog and its own accepted custom topics. */
  async listTopics(organizationId: string, f: TopicFilter, page: Page): Promise<TopicRow[]> {
    return this.topicsQuery(organizationId, f)
      .selectAll('t')
      .select(['c.name as category_name', 's.name as subcategory_name'])
      .orderBy('t.name')
      .orderBy('t.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
  }

  async countTopics(organizationId: string, f: TopicFilter): Promise<number> {
    return countRows(this.topicsQuery(organizationId, f));
  }

  getTopic(organizationId: string, id: string): Promise<TopicRow | undefined> {
    return this.topicsQuery(organizationId, {})
      .selectAll('t')
      .select(['c.name as category_name', 's.name as subcategory_name'])
      .where('t.id', '=', id)
      .executeTakeFirst();
  }

  private topicsQuery(organizationId: string, f: TopicFilter) {
    let q = this.db
      .selectFrom('taxonomy_topics as t')
      .leftJoin('taxonomy_categories as c', 'c.id', 't.category_id')
      .leftJoin('taxonomy_subcategories as s', 's.id', 't.subcategory_id')
      .where((eb) => eb.or([eb('t.organization_id', 'is', null), eb('t.organization_id', '=', organizationId)]));
    if (f.status) q = q.where('t.status', '=', f.status);
    if (f.category_id !== undefined) q = q.where('t.category_id', '=', f.category_id);
    if (f.subcategory_id !== undefined) q = q.where('t.subcategory_id', '=', f.subcategory_id);
    if (f.topic_type) q = q.where('t.topic_type', '=', f.topic_type);
    for (const w of searchWords(f.search)) q = q.where(sql<boolean>`t.search_text like ${containing(w)} escape ${'\\'}`);
    return q;
  }

  /** Every accepted custom topic of every organization, for the classifier. */
  listCustomTopics(): Promise<Selectable<TaxonomyTopicsTable>[]> {
    return this.db
      .selectFrom('taxonomy_topics')
      .selectAll()
      .where('organization_id', 'is not', null)
      .where('status', '=', 'active')
      .execute();
  }

  // Topic requests

  async createTopicRequest(organizationId: string, input: TopicRequestInput, now: number): Promise<TopicRequestRow> {
    const row: TopicRequestRow = {
      id: randomUUID(),
      organization_id: organizationId,
      topic_id: `custom_${randomBytes(6).toString('hex')}`,
      ...requestColumns(input),
      status: 'waiting_for_approval',
      review_note: null,
      created_at: now,
      updated_at: null,
      reviewed_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('taxonomy_topic_requests').values(row).execute();
      await trx
        .insertInto('taxonomy_topic_reviews')
        .values(reviewOf(row, 'waiting_for_approval', null, now))
        .execute();
    });
    return row;
  }

  getTopicRequest(organizationId: string, id: string): Promise<TopicRequestRow | undefined> {
    return this.organizationRequest(organizationId, 'id', id);
  }

  /** Updates a request still waiting for review; undefined when it is not (or no longer) waiting. */
  async updateTopicRequest(
    organizationId: string,
    id: string,
    input: TopicRequestInput,
    now: number,
  ): Promise<TopicRequestRow | undefined> {
    return this.db
      .transaction()
      .execute((trx) =>
        changeWaitingRequest(
          trx,
          { id, organizationId },
          { ...requestColumns(input), updated_at: now },
          { status: 'waiting_for_approval', note: 'updated by the organization', now },
        ),
      );
  }

  async listTopicRequests(organizationId: string | null, f: TopicRequestFilter, page: Page): Promise<TopicRequestRow[]> {
    return this.topicRequestsQuery(organizationId, f)
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
  }

  async countTopicRequests(organizationId: string | null, f: TopicRequestFilter): Promise<number> {
    return countRows(this.topicRequestsQuery(organizationId, f));
  }

  private topicRequestsQuery(organizationId: string | null, f: TopicRequestFilter) {
    let q = this.db.selectFrom('taxonomy_topic_requests');
    if (organizationId !== null) q = q.where('organization_id', '=', organizationId);
    if (f.status) q = q.where('status', '=', f.status);
    for (const w of searchWords(f.search)) q = q.where(sql<boolean>`lower(name) like ${containing(w)} escape ${'\\'}`);
    return q;
  }

  /** A request by id in any organization (the operator's view). */
  getTopicRequestById(id: string): Promise<TopicRequestRow | undefined> {
    return this.db.selectFrom('taxonomy_topic_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * The operator's decision on a waiting request. Accepting creates the topic, visible to the
   * requesting organization only. Undefined when the request is unknown or already reviewed.
   */
  async reviewTopicRequest(
    id: string,
    decision: 'accepted' | 'rejected',
    note: string | null,
    now: number,
  ): Promise<{ request: TopicRequestRow; topic: Selectable<TaxonomyTopicsTable> | null } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const request = await changeWaitingRequest(
        trx,
        { id },
        { status: decision, review_note: note, reviewed_at: now, updated_at: now },
        { status: decision, note, now },
      );
      if (!request) return undefined;
      if (decision === 'rejected') return { request, topic: null };
      const keywords = JSON.parse(request.keywords) as string[];
      const topic: Selectable<TaxonomyTopicsTable> = {
        id: request.topic_id,
        category_id: request.category_id,
        subcategory_id: request.subcategory_id,
        organization_id: request.organization_id,
        source_ref: `custom:${request.id}`,
        name: request.name,
        description: request.description,
        keywords: request.keywords,
        search_text: searchTextOf(request.name, keywords),
        topic_type: request.topic_type,
        status: 'active',
        created_at: now,
        updated_at: null,
      };
      await trx.insertInto('taxonomy_topics').values(topic).execute();
      return { request, topic };
    });
  }

  /** The review history of a requested topic, oldest first; [] when the organization requested no such topic. */
  listReviews(organizationId: string, topicId: string): Promise<TopicReviewRow[]> {
    return this.db
      .selectFrom('taxonomy_topic_reviews')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('topic_id', '=', topicId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  getTopicRequestByTopic(organizationId: string, topicId: string): Promise<TopicRequestRow | undefined> {
    return this.organizationRequest(organizationId, 'topic_id', topicId);
  }

  /** One of the organization's topic requests, by its own id or by the id its topic has (or will have). */
  private organizationRequest(organizationId: string, by: 'id' | 'topic_id', value: string): Promise<TopicRequestRow | undefined> {
    return this.db
      .selectFrom('taxonomy_topic_requests')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where(by, '=', value)
      .executeTakeFirst();
  }
}

/** What a request's proposer says, as its columns (keywords as a JSON array). */
const requestColumns = (input: TopicRequestInput) => ({
  name: input.name,
  description: input.description,
  keywords: JSON.stringify(input.keywords),
  category_id: input.category_id,
  subcategory_id: input.subcategory_id,
  topic_type: input.topic_type,
});

/**
 * Changes a request still waiting for review (in `organizationId`, when given) and adds `review` to
 * its history; the request as changed, or undefined when it is not (or no longer) waiting.
 */
async function changeWaitingRequest(
  trx: Transaction<CatalogDb>,
  { id, organizationId }: { id: string; organizationId?: string },
  changes: Updateable<TaxonomyTopicRequestsTable>,
  review: { status: TopicRequestStatus; note: string | null; now: number },
): Promise<TopicRequestRow | undefined> {
  let update = trx.updateTable('taxonomy_topic_requests').set(changes);
  if (organizationId !== undefined) update = update.where('organization_id', '=', organizationId);
  const res = await update.where('id', '=', id).where('status', '=', 'waiting_for_approval').executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return undefined;
  const row = (await trx
    .selectFrom('taxonomy_topic_requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow()) as TopicRequestRow;
  await trx
    .insertInto('taxonomy_topic_reviews')
    .values(reviewOf(row, review.status, review.note, review.now))
    .execute();
  return row;
}

function reviewOf(r: TopicRequestRow, status: TopicRequestStatus, note: string | null, now: number): TopicReviewRow {
  return {
    id: randomUUID(),
    topic_request_id: r.id,
    organization_id: r.organization_id,
    topic_id: r.topic_id,
    status,
    note,
    created_at: now,
  };
}

const BATCH = 200;

async function inBatches<T>(rows: T[], write: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await write(rows.slice(i, i + BATCH));
}

type SyncedTable = 'taxonomy_categories' | 'taxonomy_subcategories' | 'taxonomy_topics';
interface SyncedRow {
  id: string;
  status: string;
}

/**
 * One table brought in line with the built catalog: insert what is new, update what changed,
 * deactivate what is gone (never delete: ids stay valid), created_at of kept rows unchanged.
 */
async function syncTable<R extends SyncedRow, N extends Partial<R>>(
  trx: Db,
  table: SyncedTable,
  stored: readonly R[],
  wanted: readonly { id: string; next: N }[],
  fresh: (id: string, next: N) => R,
  now: number,
): Promise<void> {
  const byId = new Map(stored.map((r) => [r.id, r] as const));
  // The three tables share these columns; Kysely cannot type a table chosen at run time.
  const t = trx as unknown as Kysely<Record<SyncedTable, SyncedRow & { updated_at: number | null }>>;
  const inserts: R[] = [];
  for (const { id, next } of wanted) {
    const old = byId.get(id);
    if (!old) inserts.push(fresh(id, next));
    else if (differs(old, next))
      await t
        .updateTable(table)
        .set({ ...next, updated_at: now } as never)
        .where('id', '=', id)
        .execute();
  }
  await inBatches(inserts, (b) =>
    t
      .insertInto(table)
      .values(b as never)
      .execute(),
  );
  const keep = new Set(wanted.map((w) => w.id));
  const gone = stored.filter((r) => !keep.has(r.id) && r.status === 'active').map((r) => r.id);
  await inBatches(gone, (b) => t.updateTable(table).set({ status: 'inactive', updated_at: now }).where('id', 'in', b).execute());
}

/** The built catalog into the three tables, parents first. */
async function syncRows(trx: Db, built: BuiltCatalog, now: number): Promise<void> {
  const active = 'active' as const;
  await syncTable(
    trx,
    'taxonomy_categories',
    await trx.selectFrom('taxonomy_categories').selectAll().execute(),
    built.categories.map((c) => ({
      id: c.id,
      next: { source_ref: c.source_ref, name: c.name, description: c.description, status: active },
    })),
    (id, next): CategoryRow => ({ id, ...next, created_at: now, updated_at: null }),
    now,
  );
  await syncTable(
    trx,
    'taxonomy_subcategories',
    await trx.selectFrom('taxonomy_subcategories').selectAll().execute(),
    built.subcategories.map((x) => ({
      id: x.id,
      next: { category_id: x.category_id, source_ref: x.source_ref, name: x.name, description: x.description, status: active },
    })),
    (id, next): Selectable<TaxonomySubcategoriesTable> => ({ id, ...next, created_at: now, updated_at: null }),
    now,
  );
  await syncTable(
    trx,
    'taxonomy_topics',
    await trx.selectFrom('taxonomy_topics').selectAll().where('organization_id', 'is', null).execute(),
    built.topics.map((x) => ({
      id: x.id,
      next: {
        category_id: x.category_id,
        subcategory_id: x.subcategory_id,
        source_ref: x.source_ref,
        name: x.name,
        description: x.description,
        keywords: JSON.stringify(x.keywords),
        search_text: searchTextOf(x.name, x.keywords),
        topic_type: x.topic_type,
        status: active,
      },
    })),
    (id, next): Selectable<TaxonomyTopicsTable> => ({ id, organization_id: null, ...next, created_at: now, updated_at: null }),
    now,
  );
}

function differs<T extends object>(old: T, next: Partial<T>): boolean {
  return Object.entries(next).some(([k, v]) => old[k as keyof T] !== v);
}
