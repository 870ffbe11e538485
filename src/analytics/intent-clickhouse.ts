// The intent half of the ClickHouse store (intent/types.ts has the contract), written for 18.16 as
// the rest of the adapter is: one JOIN per SELECT (hence the nesting), ReplacingMergeTree + FINAL
// for the latest classification of a page, and FINAL before any condition on a non-key column (a
// replaced row must not match). A page's topics are two parallel arrays, unrolled with ARRAY JOIN.
// Page views are resolved to people through the visitor links at query time, as events are. Every
// value is a literal from clickhouse-sql.ts. Joins are written so 18.16 and current releases read
// them alike: every joined subquery has an alias (current servers require one), and page and
// profile lookups are ALL INNER JOINs against a right side unique by its key (FINAL), because
// current servers' ANY INNER JOIN also keeps only one left row per key (a page read twice would
// count once).
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
import { sqlNumber, sqlString, sqlStringList, toWellFormed } from './clickhouse-sql.js';

type JsonCell = string | number | boolean | null;
type JsonRow = Record<string, JsonCell>;

/** What the adapter lends this module: its tables (quoted `db`.`name`), reads and inserts. */
export interface ClickHouseRunner {
  tables: { events: string; links: string; profiles: string; pages: string };
  /** `joins`: missing join rows must read as NULL (join_use_nulls). */
  select(sql: string, joins?: boolean): Promise<JsonRow[]>;
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
}

export const pagesDdl = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (\`organization_id\` String, \`url\` String, \`title\` String, \`description\` String, ` +
  '`heading` String, `topic_ids` Array(String), `relevances` Array(UInt8), `version` String, `classified_at` Int64) ' +
  'ENGINE = ReplacingMergeTree(`classified_at`) ORDER BY (`organization_id`, `url`)';

const domainOf = (column: string): string =>
  `replaceRegexpOne(replaceRegexpOne(replaceRegexpAll(lowerUTF8(${column}), ${sqlString(DOMAIN_TRIM)}, ''), ` +
  `${sqlString(DOMAIN_PREFIX)}, ''), ${sqlString(DOMAIN_SUFFIX)}, '')`;

const num = (v: JsonCell | undefined): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`ClickHouse returned a non-numeric value: ${JSON.stringify(v)}`);
  return n;
};

export class ClickHouseIntent implements IntentStore {
  constructor(private readonly ch: ClickHouseRunner) {}

  async savePages(organizationId: string, pages: readonly ClassifiedPage[]): Promise<void> {
    if (pages.length === 0) return;
    const latest = [...new Map(pages.map((p) => [p.url, p])).values()];
    await this.ch.insert(
      this.ch.tables.pages,
      latest.map((p) => ({
        organization_id: organizationId,
        url: toWellFormed(p.url),
        title: toWellFormed(p.title),
        description: toWellFormed(p.description),
        heading: toWellFormed(p.heading),
        topic_ids: p.topics.map((t) => t.topic_id),
        relevances: p.topics.map((t) => t.relevance),
        version: p.version,
        classified_at: p.classified_at,
      })),
    );
  }

  async pagesNotAt(organizationId: string, version: string, limit: number): Promise<PageText[]> {
    const rows = await this.ch.select(
      `SELECT \`url\`, \`title\`, \`description\`, \`heading\` FROM ${this.pages(organizationId)} ` +
        `WHERE \`version\` != ${sqlString(version)} ORDER BY \`url\` LIMIT ${sqlNumber(limit)}`,
    );
    return rows.map((r) => ({
      url: String(r.url),
      title: String(r.title),
      description: String(r.description),
      heading: String(r.heading),
    }));
  }

  async topicDays(q: IntentRange): Promise<TopicDay[]> {
    if (q.topicIds?.length === 0) return [];
    const rows = await this.ch.select(
      `SELECT \`subject\`, \`topic_id\`, \`day\`, count() AS \`views\`, sum(\`rel\`) AS \`weighted\` FROM ` +
        `(SELECT \`subject\`, \`day\`, \`topic_ids\`, \`relevances\` FROM (${this.subjectEvents(q)}) AS \`ev\` ` +
        `ALL INNER JOIN (${this.pageTopics(q.organizationId, q.topicIds)}) AS \`pg\` USING \`page_url\`) ` +
        `ARRAY JOIN \`topic_ids\` AS \`topic_id\`, \`relevances\` AS \`rel\`${topicWhere(q.topicIds)} ` +
        'GROUP BY `subject`, `topic_id`, `day` ORDER BY `subject`, `topic_id`, `day`',
      true,
    );
    return rows.map((r) => ({
      subject: String(r.subject),
      topic_id: String(r.topic_id),
      day: num(r.day),
      views: num(r.views),
      weighted: num(r.weighted),
    }));
  }

  async firstDays(q: IntentRange): Promise<SubjectFirstDay[]> {
    const rows = await this.ch.select(
      `SELECT \`subject\`, min(\`day\`) AS \`first\` FROM (${this.subjectEvents(q)}) GROUP BY \`subject\` ORDER BY \`subject\``,
      true,
    );
    return rows.map((r) => ({ subject: String(r.subject), day: num(r.first) }));
  }

  async organizationActivity(
    organizationId: string,
    fromDay: number,
    toDay: number,
    topicIds?: readonly string[],
  ): Promise<OrganizationActivity> {
    const scope = pageViewScope(organizationId, fromDay, toDay);
    const [[readers], rows] = await Promise.all([
      this.ch.select(
        `SELECT uniqExact(ifNull(\`visitor_id\`, \`hem_sha256\`)) AS \`readers\` FROM ${this.ch.tables.events} WHERE ${scope}`,
      ),
      topicIds?.length === 0 ? [] : this.topicActivity(organizationId, scope, topicIds),
    ]);
    return { readers: num(readers?.readers ?? 0), topics: rows.map((r) => ({ topic_id: String(r.topic_id), weighted: num(r.weighted) })) };
  }

  private topicActivity(organizationId: string, scope: string, topicIds: readonly string[] | undefined): Promise<JsonRow[]> {
    return this.ch.select(
      `SELECT \`topic_id\`, sum(\`rel\`) AS \`weighted\` FROM (SELECT \`topic_ids\`, \`relevances\` FROM ` +
        `(SELECT assumeNotNull(\`url\`) AS \`page_url\` FROM ${this.ch.tables.events} WHERE ${scope}) AS \`ev\` ` +
        `ALL INNER JOIN (${this.pageTopics(organizationId, topicIds)}) AS \`pg\` USING \`page_url\`) ` +
        `ARRAY JOIN \`topic_ids\` AS \`topic_id\`, \`relevances\` AS \`rel\`${topicWhere(topicIds)} GROUP BY \`topic_id\` ORDER BY \`topic_id\``,
    );
  }

  async topicPages(q: IntentRange & { topicId: string; limit: number }): Promise<TopicPageViews[]> {
    const rows = await this.ch.select(
      `SELECT \`page_url\` AS \`url\`, max(\`title\`) AS \`page_title\`, count() AS \`views\`, max(\`rel\`) AS \`relevance\` FROM ` +
        `(SELECT \`page_url\`, \`title\`, \`topic_ids\`, \`relevances\` FROM (${this.subjectEvents(q)}) AS \`ev\` ` +
        `ALL INNER JOIN (${this.pageTopics(q.organizationId, [q.topicId], true)}) AS \`pg\` USING \`page_url\`) ` +
        `ARRAY JOIN \`topic_ids\` AS \`topic_id\`, \`relevances\` AS \`rel\` WHERE \`topic_id\` = ${sqlString(q.topicId)} ` +
        `GROUP BY \`page_url\` ORDER BY \`views\` DESC, \`page_url\` LIMIT ${sqlNumber(q.limit)}`,
      true,
    );
    return rows.map((r) => ({ url: String(r.url), title: String(r.page_title), views: num(r.views), relevance: num(r.relevance) }));
  }

  async companyPeople(organizationId: string, domain: string): Promise<number> {
    const [row] = await this.ch.select(
      `SELECT count() AS \`c\` FROM ${this.liveProfiles(organizationId)} WHERE ${domainOf('`company_domain`')} = ${sqlString(domain)}`,
    );
    return num(row?.c ?? 0);
  }

  /** The organization's pages, latest classification of each (FINAL before any other condition). */
  private pages(organizationId: string, columns = '*'): string {
    return `(SELECT ${columns} FROM ${this.ch.tables.pages} FINAL WHERE \`organization_id\` = ${sqlString(organizationId)})`;
  }

  /** page_url → topics, narrowed to pages holding one of `topicIds` when given. */
  private pageTopics(organizationId: string, topicIds: readonly string[] | undefined, withTitle = false): string {
    const columns = `\`url\` AS \`page_url\`, ${withTitle ? '`title`, ' : ''}\`topic_ids\`, \`relevances\``;
    const narrow = topicIds ? ` WHERE arrayExists(x -> x IN ${sqlStringList(topicIds)}, \`topic_ids\`)` : '';
    return `SELECT ${columns} FROM ${this.pages(organizationId)}${narrow}`;
  }

  private liveLinks(organizationId: string): string {
    return (
      `(SELECT \`visitor_id\`, \`hem_sha256\` FROM (SELECT \`visitor_id\`, \`hem_sha256\`, \`deleted\` FROM ${this.ch.tables.links} FINAL ` +
      `WHERE \`organization_id\` = ${sqlString(organizationId)}) WHERE \`deleted\` = 0)`
    );
  }

  private liveProfiles(organizationId: string): string {
    return (
      `(SELECT \`hem_sha256\`, \`company_domain\` FROM (SELECT \`hem_sha256\`, \`company_domain\`, \`deleted\` FROM ${this.ch.tables.profiles} FINAL ` +
      `WHERE \`organization_id\` = ${sqlString(organizationId)}) WHERE \`deleted\` = 0)`
    );
  }

  /**
   * (subject, day, page_url) of the subject's page views: the visitor's current link decides whose
   * a view is, or the event's own HEM when it has no visitor id (analytics/resolution.ts).
   */
  private subjectEvents(q: IntentRange): string {
    const scope = pageViewScope(q.organizationId, q.fromDay, q.toDay);
    const events = this.ch.tables.events;
    const columns = `intDiv(\`ts_millis\`, ${DAY_MS}) AS \`day\`, assumeNotNull(\`url\`) AS \`page_url\``;
    const s = q.subject;
    const ofPeople = (hems: string, subject: string): string =>
      `SELECT ${subject} AS \`subject\`, ${columns} FROM ${events} WHERE ${scope} AND ` +
      `(ifNull(\`visitor_id\`, '') IN (SELECT \`visitor_id\` FROM ${this.liveLinks(q.organizationId)} WHERE \`hem_sha256\` IN (${hems})) ` +
      `OR (isNull(\`visitor_id\`) AND \`hem_sha256\` IN (${hems})))`;
    switch (s.kind) {
      case 'person':
        return ofPeople(`SELECT ${sqlString(s.hem)}`, sqlString(s.hem));
      case 'company':
        return ofPeople(
          `SELECT \`hem_sha256\` FROM ${this.liveProfiles(q.organizationId)} WHERE ${domainOf('`company_domain`')} = ${sqlString(s.domain)}`,
          sqlString(s.domain),
        );
      case 'people':
      case 'companies': {
        const resolved =
          'SELECT if(isNull(`visitor_id`), `own_hem`, `link_hem`) AS `r_hem`, `day`, `page_url` FROM ' +
          `(SELECT \`visitor_id\`, \`hem_sha256\` AS \`own_hem\`, ${columns} FROM ${events} WHERE ${scope}) AS \`ev\` ` +
          `ANY LEFT JOIN (SELECT toNullable(\`visitor_id\`) AS \`visitor_id\`, \`hem_sha256\` AS \`link_hem\` FROM ${this.liveLinks(q.organizationId)}) ` +
          'AS `ln` USING `visitor_id`';
        if (s.kind === 'people')
          return `SELECT \`r_hem\` AS \`subject\`, \`day\`, \`page_url\` FROM (${resolved}) WHERE isNotNull(\`r_hem\`)`;
        return (
          `SELECT \`domain\` AS \`subject\`, \`day\`, \`page_url\` FROM (${resolved}) AS \`rs\` ALL INNER JOIN ` +
          `(SELECT toNullable(\`hem_sha256\`) AS \`r_hem\`, ${domainOf('`company_domain`')} AS \`domain\` FROM ${this.liveProfiles(q.organizationId)} ` +
          `WHERE \`domain\` != '') AS \`co\` USING \`r_hem\``
        );
      }
    }
  }
}

/** Non-bot page views with a URL in the day range. */
function pageViewScope(organizationId: string, fromDay: number, toDay: number): string {
  return (
    `\`organization_id\` = ${sqlString(organizationId)} AND \`event_type\` = 'page_view' AND \`is_bot\` = 0 AND isNotNull(\`url\`) ` +
    `AND \`ts_millis\` >= ${sqlNumber(fromDay * DAY_MS)} AND \`ts_millis\` <= ${sqlNumber((toDay + 1) * DAY_MS - 1)}`
  );
}

function topicWhere(topicIds: readonly string[] | undefined): string {
  return topicIds ? ` WHERE \`topic_id\` IN ${sqlStringList(topicIds)}` : '';
}
