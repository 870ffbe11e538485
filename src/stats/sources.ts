// Where visits come from: the documented list of referrer hosts that get a name (Google, LinkedIn,
// ...) and the group each belongs to, and the UTM mediums that mark paid and email traffic. The
// analytics engines turn this list into SQL (src/analytics/stats-sql.ts), so DuckDB and ClickHouse
// classify a visit the same way; docs/stats.md shows the list. A host matches an entry when it is one
// of the entry's domains or a subdomain of one (`www.` is dropped first); Google's and Yahoo's
// country domains are spelled out as patterns.

export type SourceGroup = 'search' | 'social' | 'email';

export interface NamedSource {
  readonly name: string;
  readonly group: SourceGroup;
  /** Domains (a host matches itself or any subdomain of it). */
  readonly domains: readonly string[];
  /** Extra host patterns (RE2 regular expressions over the whole host), for country domains. */
  readonly patterns?: readonly string[];
}

/** In order: the first entry a host matches names it (webmail before the search engine of its domain). */
export const NAMED_SOURCES: readonly NamedSource[] = [
  { name: 'Gmail', group: 'email', domains: ['mail.google.com'] },
  { name: 'Outlook', group: 'email', domains: ['outlook.live.com', 'outlook.office.com', 'outlook.office365.com'] },
  { name: 'Yahoo! Mail', group: 'email', domains: ['mail.yahoo.com'] },
  { name: 'Google', group: 'search', domains: ['google.com'], patterns: ['^(.+\\.)?google\\.[a-z]{2,3}(\\.[a-z]{2})?$'] },
  { name: 'Bing', group: 'search', domains: ['bing.com'] },
  { name: 'DuckDuckGo', group: 'search', domains: ['duckduckgo.com'] },
  { name: 'Yahoo!', group: 'search', domains: ['yahoo.com', 'search.yahoo.co.jp'], patterns: ['^(.+\\.)?search\\.yahoo\\.[a-z.]+$'] },
  { name: 'Yandex', group: 'search', domains: ['yandex.ru', 'yandex.com', 'ya.ru'] },
  { name: 'Baidu', group: 'search', domains: ['baidu.com'] },
  { name: 'Ecosia', group: 'search', domains: ['ecosia.org'] },
  { name: 'Brave Search', group: 'search', domains: ['search.brave.com'] },
  { name: 'Startpage', group: 'search', domains: ['startpage.com'] },
  { name: 'Qwant', group: 'search', domains: ['qwant.com'] },
  { name: 'Naver', group: 'search', domains: ['naver.com'] },
  { name: 'Seznam', group: 'search', domains: ['seznam.cz'] },
  { name: 'Kagi', group: 'search', domains: ['kagi.com'] },
  { name: 'Perplexity', group: 'search', domains: ['perplexity.ai'] },
  { name: 'ChatGPT', group: 'search', domains: ['chatgpt.com', 'chat.openai.com'] },
  { name: 'LinkedIn', group: 'social', domains: ['linkedin.com', 'lnkd.in'] },
  { name: 'Facebook', group: 'social', domains: ['facebook.com', 'fb.com', 'fb.me', 'm.facebook.com', 'l.facebook.com'] },
  { name: 'X', group: 'social', domains: ['x.com', 'twitter.com', 't.co'] },
  { name: 'Reddit', group: 'social', domains: ['reddit.com', 'redd.it'] },
  { name: 'Hacker News', group: 'social', domains: ['news.ycombinator.com'] },
  { name: 'YouTube', group: 'social', domains: ['youtube.com', 'youtu.be'] },
  { name: 'Instagram', group: 'social', domains: ['instagram.com'] },
  { name: 'Pinterest', group: 'social', domains: ['pinterest.com'] },
  { name: 'TikTok', group: 'social', domains: ['tiktok.com'] },
  { name: 'Bluesky', group: 'social', domains: ['bsky.app'] },
  { name: 'Mastodon', group: 'social', domains: ['mastodon.social', 'mastodon.online'] },
  { name: 'Threads', group: 'social', domains: ['threads.net', 'threads.com'] },
  { name: 'GitHub', group: 'social', domains: ['github.com'] },
  { name: 'Stack Overflow', group: 'social', domains: ['stackoverflow.com'] },
  { name: 'Medium', group: 'social', domains: ['medium.com'] },
  { name: 'Substack', group: 'social', domains: ['substack.com'] },
  { name: 'Product Hunt', group: 'social', domains: ['producthunt.com'] },
  { name: 'Slack', group: 'social', domains: ['slack.com'] },
];

/** `utm_medium` values (lower case) of paid traffic and of email. */
export const PAID_MEDIUMS: readonly string[] = [
  'cpc',
  'ppc',
  'paid',
  'paidsearch',
  'paid_search',
  'paid_social',
  'paidsocial',
  'display',
  'cpm',
  'banner',
];
export const EMAIL_MEDIUMS: readonly string[] = ['email', 'e-mail', 'newsletter'];

/** The visit's source when it has no external referrer and no utm_source. */
export const DIRECT = 'Direct / None';

export const CHANNELS = ['Paid', 'Email', 'Search', 'Social', 'Campaign', 'Referral', 'Direct'] as const;
export type Channel = (typeof CHANNELS)[number];

/** One RE2 pattern per named source, over the whole host (without `www.`). */
export function sourcePattern(s: NamedSource): string {
  const domains = s.domains.map((d) => `^(.+\\.)?${d.replace(/[.+*?^$()[\]{}|\\]/g, '\\$&')}$`);
  return [...domains, ...(s.patterns ?? [])].join('|');
}

/**
 * The reference classification, in code: what the SQL of each engine must agree with (the contract
 * suite checks them against it). Inputs are the visit's first event's fields, '' when absent.
 */
export function classifyVisit(first: { referrer: string; url: string; utm_source: string; utm_medium: string; utm_campaign: string }): {
  referrer: string;
  source: string;
  channel: Channel;
} {
  const refHost = hostOf(first.referrer);
  const pageHost = hostOf(first.url);
  const external = refHost !== '' && refHost !== pageHost ? refHost : '';
  const named = external === '' ? undefined : NAMED_SOURCES.find((s) => new RegExp(sourcePattern(s)).test(external));
  const source = named ? named.name : external !== '' ? external : first.utm_source !== '' ? first.utm_source : DIRECT;
  const medium = first.utm_medium.toLowerCase();
  let channel: Channel;
  if (PAID_MEDIUMS.includes(medium)) channel = 'Paid';
  else if (EMAIL_MEDIUMS.includes(medium) || named?.group === 'email') channel = 'Email';
  else if (named?.group === 'search') channel = 'Search';
  else if (named?.group === 'social') channel = 'Social';
  else if (first.utm_source !== '' || medium !== '' || first.utm_campaign !== '') channel = 'Campaign';
  else if (external !== '') channel = 'Referral';
  else channel = 'Direct';
  return { referrer: external, source, channel };
}

/** The host of an absolute URL, lower case, without a leading `www.`; '' when there is none. */
export const HOST_PATTERN = '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]*)';
export function hostOf(url: string): string {
  const m = new RegExp(HOST_PATTERN).exec(url);
  return (m?.[1] ?? '').toLowerCase().replace(/^www\./, '');
}
