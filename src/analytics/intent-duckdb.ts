// The intent half of the DuckDB store (intent/types.ts has the contract): classified pages in two
// tables (one row per organization and URL, one row per page and topic), and the activity queries,
// which resolve page views to people through visitor_links at query time exactly as events are
// resolved (the visitor's current link, or the event's own HEM when it has no visitor id).
// Every value is a bound parameter; day numbers are integer divisions of ts_millis.
import { BIGINT, type DuckDBType, type DuckDBValue, INTEGER, VARCHAR } from '@duckdb/node-api';
import { DOMAIN_PREFIX, DOMAIN_SUFFIX, DOMAIN_TRIM } from '../intent/domain.js';
import {
  type ClassifiedPage,
  DAY_MS,
  type IntentRange,
  type IntentStore,
  type OrganizationActivity,
  type PageText,
  type SubjectFirstDay,
  type TopicDay,
  type TopicPageViews,
} from '../intent/types.js';

/** What the adapter lends this module: reads on the pool, and one transaction on the writer. */
export interface DuckDbRunner {
  read(sql: string, values: DuckDBValue[], types: DuckDBType[]): Promise<DuckDBValue[][]>;
  transaction(statements: { sql: string; values: DuckDBValue[]; types: DuckDBType[] }[]): Promise<void>;
}

export const INTENT_DDL: readonly string[] = [
  'CREATE TABLE IF NOT EXISTS intent_pages (organization_id VARCHAR NOT NULL, url VARCHAR NOT NULL, title VARCHAR NOT NULL, ' +
    'description VARCHAR NOT NULL, heading VARCHAR NOT NULL, version VARCHAR NOT NULL, classified_at BIGINT NOT NULL, ' +
    'PRIMARY KEY (organization_id, url))',
  'CREATE TABLE IF NOT EXISTS intent_page_topics (organization_id VARCHAR NOT NULL, url VARCHAR NOT NULL, topic_id VARCHAR NOT NULL, relevance INTEGER NOT NULL)',
  'CREATE INDEX IF NOT EXISTS intent_page_topics_url ON intent_page_topics (organization_id, url)',
];

/** Pages written per statement group: bounds the parameter count of one INSERT. */
const PAGE_BATCH = 500;

/** Positional parameters with their types (the audience module binds its values the same way). */
export class Params {
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];
  add(value: DuckDBValue, type: DuckDBType): string {
    this.values.push(value);
    this.types.push(type);
    return `$${this.values.length}`;
  }
}

/** A stored company_domain normalised as domain.ts does it. */
const domainOf = (column: string): string =>
  `regexp_replace(regexp_replace(regexp_replace(lower(${column}), '${DOMAIN_TRIM}', '', 'g'), '${DOMAIN_PREFIX}', ''), '${DOMAIN_SUFFIX}', '')`;

const num = (v: DuckDBValue | undefined): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

export class DuckDbIntent implements IntentStore {
  constructor(private readonly db: DuckDbRunner) {}

  async savePages(organizationId: string, pages: readonly ClassifiedPage[]): Promise<void> {
    // The last classification of a URL in the batch wins (an INSERT may not name one key twice).
    const latest = [...new Map(pages.map((p) => [p.url, p])).values()];
    for (let start = 0; start < latest.length; start += PAGE_BATCH) {
      const batch = latest.slice(start, start + PAGE_BATCH);
      const del = new Params();
      const delOrg = del.add(organizationId, VARCHAR);
      const urls = batch.map((p) => del.add(p.url, VARCHAR)).join(', ');
      const ins = new Params();
      const org = ins.add(organizationId, VARCHAR);
      const rows = batch
        .map(
          (p) =>
            `(${org}, ${ins.add(p.url, VARCHAR)}, ${ins.add(p.title, VARCHAR)}, ${ins.add(p.description, VARCHAR)}, ` +
            `${ins.add(p.heading, VARCHAR)}, ${ins.add(p.version, VARCHAR)}, ${ins.add(BigInt(p.classified_at), BIGINT)})`,
        )
        .join(', ');
      const statements = [
        {
          sql: `DELETE FROM intent_page_topics WHERE organization_id = ${delOrg} AND url IN (${urls})`,
          values: del.values,
          types: del.types,
        },
        {
          sql:
            `INSERT INTO intent_pages VALUES ${rows} ON CONFLICT (organization_id, url) DO UPDATE SET title = excluded.title, ` +
            'description = excluded.description, heading = excluded.heading, version = excluded.version, classified_at = excluded.classified_at',
          values: ins.values,
          types: ins.types,
        },
      ];
      const topics = new Params();
      const topicOrg = topics.add(organizationId, VARCHAR);
      const topicRows = batch.flatMap((p) =>
        p.topics.map(
          (t) => `(${topicOrg}, ${topics.add(p.url, VARCHAR)}, ${topics.add(t.topic_id, VARCHAR)}, ${topics.add(t.relevance, INTEGER)})`,
        ),
      );
      if (topicRows.length > 0) {
        statements.push({
          sql: `INSERT INTO intent_page_topics VALUES ${topicRows.join(', ')}`,
          values: topics.values,
          types: topics.types,
        });
      }
      await this.db.transaction(statements);
    }
  }

  async pagesNotAt(organizationId: string, version: string, limit: number): Promise<PageText[]> {
    const p = new Params();
    const rows = await this.read(
      `SELECT url, title, description, heading FROM intent_pages WHERE organization_id = ${p.add(organizationId, VARCHAR)} ` +
        `AND version <> ${p.add(version, VARCHAR)} ORDER BY url LIMIT ${p.add(BigInt(limit), BIGINT)}`,
      p,
    );
    return rows.map((r) => ({ url: String(r[0]), title: String(r[1]), description: String(r[2]), heading: String(r[3]) }));
  }

  async topicDays(q: IntentRange): Promise<TopicDay[]> {
    if (q.topicIds?.length === 0) return [];
    const p = new Params();
    const events = subjectEvents(q, p);
    const org = p.add(q.organizationId, VARCHAR);
    const sql =
      `SELECT s.subject, t.topic_id, s.day, count(*), CAST(sum(t.relevance) AS BIGINT) FROM (${events}) s ` +
      `JOIN intent_page_topics t ON t.organization_id = ${org} AND t.url = s.url${topicFilter(q.topicIds, p, 'WHERE')} ` +
      'GROUP BY s.subject, t.topic_id, s.day ORDER BY s.subject, t.topic_id, s.day';
    const rows = await this.read(sql, p);
    return rows.map((r) => ({ subject: String(r[0]), topic_id: String(r[1]), day: num(r[2]), views: num(r[3]), weighted: num(r[4]) }));
  }

  async firstDays(q: IntentRange): Promise<SubjectFirstDay[]> {
    const p = new Params();
    const rows = await this.read(`SELECT subject, min(day) FROM (${subjectEvents(q, p)}) GROUP BY subject ORDER BY subject`, p);
    return rows.map((r) => ({ subject: String(r[0]), day: num(r[1]) }));
  }

  async organizationActivity(
    organizationId: string,
    fromDay: number,
    toDay: number,
    topicIds?: readonly string[],
  ): Promise<OrganizationActivity> {
    const p = new Params();
    const scope = pageViewScope(organizationId, fromDay, toDay, p);
    const t = new Params();
    const tScope = pageViewScope(organizationId, fromDay, toDay, t);
    const [readers, rows] = await Promise.all([
      this.read(`SELECT count(DISTINCT coalesce(e.visitor_id, e.hem_sha256)) FROM events e WHERE ${scope}`, p),
      topicIds?.length === 0
        ? []
        : this.read(
            `SELECT pt.topic_id, CAST(sum(pt.relevance) AS BIGINT) FROM events e JOIN intent_page_topics pt ` +
              `ON pt.organization_id = ${t.add(organizationId, VARCHAR)} AND pt.url = e.url WHERE ${tScope}` +
              `${topicFilter(topicIds, t, 'AND', 'pt')} GROUP BY pt.topic_id ORDER BY pt.topic_id`,
            t,
          ),
    ]);
    return { readers: num(readers[0]?.[0]), topics: rows.map((r) => ({ topic_id: String(r[0]), weighted: num(r[1]) })) };
  }

  async topicPages(q: IntentRange & { topicId: string; limit: number }): Promise<TopicPageViews[]> {
    const p = new Params();
    const events = subjectEvents(q, p);
    const org = p.add(q.organizationId, VARCHAR);
    const sql =
      `SELECT s.url, max(pg.title), count(*), max(t.relevance) FROM (${events}) s ` +
      `JOIN intent_page_topics t ON t.organization_id = ${org} AND t.url = s.url AND t.topic_id = ${p.add(q.topicId, VARCHAR)} ` +
      `JOIN intent_pages pg ON pg.organization_id = ${org} AND pg.url = s.url ` +
      `GROUP BY s.url ORDER BY count(*) DESC, s.url LIMIT ${p.add(BigInt(q.limit), BIGINT)}`;
    const rows = await this.read(sql, p);
    return rows.map((r) => ({ url: String(r[0]), title: String(r[1]), views: num(r[2]), relevance: num(r[3]) }));
  }

  async companyPeople(organizationId: string, domain: string): Promise<number> {
    const p = new Params();
    const rows = await this.read(
      `SELECT count(*) FROM profiles WHERE organization_id = ${p.add(organizationId, VARCHAR)} AND ${domainOf('company_domain')} = ${p.add(domain, VARCHAR)}`,
      p,
    );
    return num(rows[0]?.[0]);
  }

  private read(sql: string, p: Params): Promise<DuckDBValue[][]> {
    return this.db.read(sql, p.values, p.types);
  }
}

/** Non-bot page views with a URL in the day range, of table alias `e`. */
function pageViewScope(organizationId: string, fromDay: number, toDay: number, p: Params): string {
  return (
    `e.organization_id = ${p.add(organizationId, VARCHAR)} AND e.event_type = 'page_view' AND NOT e.is_bot AND e.url IS NOT NULL ` +
    `AND e.ts_millis BETWEEN ${p.add(BigInt(fromDay * DAY_MS), BIGINT)} AND ${p.add(BigInt((toDay + 1) * DAY_MS - 1), BIGINT)}`
  );
}

function topicFilter(topicIds: readonly string[] | undefined, p: Params, keyword: 'WHERE' | 'AND', alias = 't'): string {
  if (!topicIds) return '';
  return ` ${keyword} ${alias}.topic_id IN (${topicIds.map((id) => p.add(id, VARCHAR)).join(', ')})`;
}

/**
 * (subject, day, url) of the subject's page views: the visitor's current link decides whose a view
 * is, or the event's own HEM when it has no visitor id (analytics/resolution.ts).
 */
function subjectEvents(q: IntentRange, p: Params): string {
  const scope = pageViewScope(q.organizationId, q.fromDay, q.toDay, p);
  const org = p.add(q.organizationId, VARCHAR);
  const day = `e.ts_millis // ${DAY_MS}`;
  const s = q.subject;
  switch (s.kind) {
    case 'person': {
      const hem = p.add(s.hem, VARCHAR);
      return (
        `SELECT ${hem} AS subject, ${day} AS day, e.url FROM events e WHERE ${scope} AND (e.visitor_id IN ` +
        `(SELECT visitor_id FROM visitor_links WHERE organization_id = ${org} AND hem_sha256 = ${hem}) ` +
        `OR (e.visitor_id IS NULL AND e.hem_sha256 = ${hem}))`
      );
    }
    case 'company': {
      const domain = p.add(s.domain, VARCHAR);
      const hems = `SELECT hem_sha256 FROM profiles WHERE organization_id = ${org} AND ${domainOf('company_domain')} = ${domain}`;
      return (
        `SELECT ${domain} AS subject, ${day} AS day, e.url FROM events e WHERE ${scope} AND (e.visitor_id IN ` +
        `(SELECT visitor_id FROM visitor_links WHERE organization_id = ${org} AND hem_sha256 IN (${hems})) ` +
        `OR (e.visitor_id IS NULL AND e.hem_sha256 IN (${hems})))`
      );
    }
    case 'people':
    case 'companies': {
      const resolved =
        `SELECT CASE WHEN e.visitor_id IS NULL THEN e.hem_sha256 ELSE l.hem_sha256 END AS hem, ${day} AS day, e.url FROM events e ` +
        `LEFT JOIN visitor_links l ON l.organization_id = ${org} AND l.visitor_id = e.visitor_id WHERE ${scope}`;
      if (s.kind === 'people') return `SELECT r.hem AS subject, r.day, r.url FROM (${resolved}) r WHERE r.hem IS NOT NULL`;
      return (
        `SELECT c.domain AS subject, r.day, r.url FROM (${resolved}) r JOIN ` +
        `(SELECT hem_sha256, ${domainOf('company_domain')} AS domain FROM profiles WHERE organization_id = ${org}) c ` +
        `ON c.hem_sha256 = r.hem WHERE c.domain IS NOT NULL AND c.domain <> ''`
      );
    }
  }
}
