// The intent half of the analytics store: which topics each page is about (classified once per
// page, stored by URL), and the daily activity per person or company and topic that the intent score
// is computed from. Both engines implement it and test/analytics/intent-contract.ts checks them
// alike. Activity is resolved to people through the visitor links at query time, as events are, so
// a link made today moves the visitor's earlier reading to that person too.
//
// Relevance is stored in whole percent and every sum the engines return is an integer, so DuckDB and
// ClickHouse return the same numbers for the same events and the score (computed in JavaScript from
// them) is identical on both.

/** What a page says about itself: the classifier's input, as the page's latest view sent it. */
export interface PageText {
  url: string;
  title: string;
  description: string;
  heading: string;
}

export interface PageTopic {
  topic_id: string;
  /** 0-100: the classifier's relevance in whole percent. */
  relevance: number;
}

/** A page and the topics it is about. One row per organization and URL: a newer classification replaces it. */
export interface ClassifiedPage extends PageText {
  /** Best first; may be empty (a page about nothing we know). */
  topics: readonly PageTopic[];
  /** The classifier version (catalog and the organization's custom topics) that produced `topics`. */
  version: string;
  classified_at: number;
}

/**
 * Whose activity: one person (SHA-256 HEM), one company (a normalised domain, see domain.ts), or
 * every person / every company of the organization at once (audiences).
 */
export type IntentSubject =
  | { kind: 'person'; hem: string }
  | { kind: 'company'; domain: string }
  | { kind: 'people' }
  | { kind: 'companies' };

export interface IntentRange {
  organizationId: string;
  subject: IntentSubject;
  /** Inclusive, in days since 1970-01-01 UTC. */
  fromDay: number;
  toDay: number;
  /** Only these topics; every topic when absent. An empty list matches nothing. */
  topicIds?: readonly string[];
}

/** A subject's page views on a topic in one day. */
export interface TopicDay {
  /** The HEM (person kinds) or the domain (company kinds). */
  subject: string;
  topic_id: string;
  day: number;
  views: number;
  /** Σ relevance in whole percent over those views. */
  weighted: number;
}

export interface SubjectFirstDay {
  subject: string;
  /** First day in the range with any page view of the subject. */
  day: number;
}

/** The organization's activity over a range: distinct readers, and Σ relevance (whole percent) per topic. */
export interface OrganizationActivity {
  readers: number;
  topics: { topic_id: string; weighted: number }[];
}

/** A page that counted for a subject's topic. */
export interface TopicPageViews {
  url: string;
  title: string;
  views: number;
  /** Whole percent. */
  relevance: number;
}

export interface IntentStore {
  /** Stores pages with their topics, replacing what the same organization and URL had. */
  savePages(organizationId: string, pages: readonly ClassifiedPage[]): Promise<void>;
  /** Up to `limit` of the organization's stored pages classified by another version than `version`, by URL. */
  pagesNotAt(organizationId: string, version: string, limit: number): Promise<PageText[]>;
  /** Non-bot page views of classified pages per subject, topic and day, ascending. */
  topicDays(q: IntentRange): Promise<TopicDay[]>;
  /** The first day with any page view (classified or not) per subject within the range. */
  firstDays(q: IntentRange): Promise<SubjectFirstDay[]>;
  /** Everyone's non-bot page views in the range: distinct readers (visitor, or HEM without one) and relevance per topic. */
  organizationActivity(organizationId: string, fromDay: number, toDay: number, topicIds?: readonly string[]): Promise<OrganizationActivity>;
  /** For one subject (person or company) and topic: the pages viewed in the range, most viewed first. */
  topicPages(q: IntentRange & { topicId: string; limit: number }): Promise<TopicPageViews[]>;
  /** How many profiles of the organization have this (normalised) company domain. */
  companyPeople(organizationId: string, domain: string): Promise<number>;
}

export const DAY_MS = 86_400_000;
