// A realistic synthetic dataset for one pixel, so a new user sees people, intent and audiences
// within a minute of installing: people with CRM-style profiles at a few dozen companies, who
// browse the demo site (site.ts) over some weeks at their usual pace, a tenth of them surging on one
// topic in the last three days (several sessions a day, the pricing page too), anonymous visitors
// beside them, and the form submissions that identified the known ones. Pure: it only builds rows;
// service.ts stores them. Seeded, so the same seed gives the same people, visits and pages.
import { randomUUID } from 'node:crypto';
import type { EventRow } from '../analytics/types.js';
import { hemsOf } from '../identity/hem.js';
import type { NewLink, ProfilePatch } from '../identity/types.js';
import { DAY_MS } from '../intent/types.js';
import { seededRandom } from '../platform/random.js';
import { DEMO_GENERAL_PAGES, DEMO_HOST, DEMO_TOPICS, type DemoPage } from './site.js';

export interface DemoOptions {
  organizationId: string;
  projectId: string;
  pixelId: string;
  /** People with profiles (a CRM export's worth); four in five of them browse the site. */
  people: number;
  /** Days of history, ending now. */
  days: number;
  now: number;
  seed?: number;
}

export interface DemoPerson {
  hem_sha256: string;
  email: string;
  /** Visitor ids linked to the person (none for a CRM-only person who never visited). */
  visitors: string[];
  /** The topic the person surges on in the last days, if any. */
  surgeTopic: string | null;
}

export interface DemoDataset {
  profiles: ProfilePatch[];
  links: NewLink[];
  events: EventRow[];
  people: DemoPerson[];
  /** One page view per page, for classifying the site's pages once. */
  pageSamples: EventRow[];
}

const FIRST = [
  'Ann',
  'Ben',
  'Carla',
  'David',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kira',
  'Luca',
  'Maya',
  'Nils',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tara',
  'Umar',
  'Vera',
  'Wei',
  'Yara',
  'Zoe',
];
const LAST = [
  'Adams',
  'Berg',
  'Costa',
  'Diaz',
  'Evans',
  'Fischer',
  'Garcia',
  'Haas',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Patel',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weber',
];

interface Company {
  name: string;
  domain: string;
  industry: string;
  employees: number;
  revenue: number;
  city: string;
  state: string;
  country: string;
}

const COMPANIES: readonly Company[] = [
  ['Acme Logistics', 'acme-logistics.example', 'Logistics', 1200, 310_000_000, 'Chicago', 'IL', 'US'],
  ['Bluefin Bank', 'bluefin-bank.example', 'Financial Services', 8000, 2_400_000_000, 'New York', 'NY', 'US'],
  ['Cobalt Health', 'cobalt-health.example', 'Healthcare', 3500, 900_000_000, 'Boston', 'MA', 'US'],
  ['Delta Retail', 'delta-retail.example', 'Retail', 15000, 4_100_000_000, 'Seattle', 'WA', 'US'],
  ['Evergreen Energy', 'evergreen-energy.example', 'Energy', 2200, 1_300_000_000, 'Houston', 'TX', 'US'],
  ['Fjord Analytics', 'fjord-analytics.example', 'Software', 140, 22_000_000, 'Oslo', 'Oslo', 'NO'],
  ['Granite Insurance', 'granite-insurance.example', 'Insurance', 5200, 1_900_000_000, 'Hartford', 'CT', 'US'],
  ['Helix Biotech', 'helix-biotech.example', 'Biotechnology', 650, 120_000_000, 'San Diego', 'CA', 'US'],
  ['Indigo Media', 'indigo-media.example', 'Media', 420, 75_000_000, 'London', 'England', 'GB'],
  ['Juniper Software', 'juniper-software.example', 'Software', 90, 12_000_000, 'Austin', 'TX', 'US'],
  ['Kestrel Manufacturing', 'kestrel-mfg.example', 'Manufacturing', 6400, 2_000_000_000, 'Stuttgart', 'Baden-Württemberg', 'DE'],
  ['Lumen Education', 'lumen-edu.example', 'Education', 300, 40_000_000, 'Toronto', 'Ontario', 'CA'],
  ['Meridian Telecom', 'meridian-telecom.example', 'Telecommunications', 11000, 5_500_000_000, 'Dallas', 'TX', 'US'],
  ['Nimbus Games', 'nimbus-games.example', 'Entertainment', 260, 60_000_000, 'Montreal', 'Quebec', 'CA'],
  ['Orchid Travel', 'orchid-travel.example', 'Travel', 780, 210_000_000, 'Lisbon', 'Lisbon', 'PT'],
  ['Pioneer Foods', 'pioneer-foods.example', 'Food & Beverage', 4100, 1_100_000_000, 'Minneapolis', 'MN', 'US'],
  ['Quartz Legal', 'quartz-legal.example', 'Legal Services', 120, 30_000_000, 'Denver', 'CO', 'US'],
  ['Redwood Realty', 'redwood-realty.example', 'Real Estate', 350, 95_000_000, 'San Francisco', 'CA', 'US'],
  ['Summit Aerospace', 'summit-aero.example', 'Aerospace', 9000, 3_700_000_000, 'Toulouse', 'Occitanie', 'FR'],
  ['Tidal Payments', 'tidal-payments.example', 'Financial Services', 540, 150_000_000, 'Amsterdam', 'North Holland', 'NL'],
  ['Umbra Security', 'umbra-security.example', 'Software', 210, 45_000_000, 'Tel Aviv', 'Tel Aviv', 'IL'],
  ['Vantage Consulting', 'vantage-consulting.example', 'Consulting', 1600, 380_000_000, 'Atlanta', 'GA', 'US'],
  ['Willow Pharma', 'willow-pharma.example', 'Pharmaceuticals', 7200, 2_900_000_000, 'Basel', 'Basel-Stadt', 'CH'],
  ['Xenon Robotics', 'xenon-robotics.example', 'Manufacturing', 480, 110_000_000, 'Munich', 'Bavaria', 'DE'],
].map(([name, domain, industry, employees, revenue, city, state, country]) => ({
  name: name as string,
  domain: domain as string,
  industry: industry as string,
  employees: employees as number,
  revenue: revenue as number,
  city: city as string,
  state: state as string,
  country: country as string,
}));

/** Title, seniority and department: more staff than chiefs, as in any CRM. */
const ROLES: readonly [string, string, string, number][] = [
  ['Chief Technology Officer', 'cxo', 'engineering', 1],
  ['Chief Information Security Officer', 'cxo', 'it', 1],
  ['VP of Engineering', 'vp', 'engineering', 2],
  ['VP of Marketing', 'vp', 'marketing', 2],
  ['Director of Data', 'director', 'engineering', 3],
  ['Director of IT', 'director', 'it', 3],
  ['Head of Security', 'director', 'it', 2],
  ['Engineering Manager', 'manager', 'engineering', 5],
  ['Marketing Manager', 'manager', 'marketing', 4],
  ['Product Manager', 'manager', 'product', 4],
  ['Data Engineer', 'staff', 'engineering', 8],
  ['Software Engineer', 'staff', 'engineering', 10],
  ['Security Analyst', 'staff', 'it', 4],
  ['Financial Analyst', 'staff', 'finance', 3],
  ['Account Executive', 'staff', 'sales', 4],
];
const ROLE_BAG: readonly (typeof ROLES)[number][] = ROLES.flatMap((r) => Array.from({ length: r[3] }, () => r));

interface Device {
  user_agent: string;
  browser: string;
  os: string;
  device_type: string;
  screen: [number, number];
}
const DEVICES: readonly Device[] = [
  {
    user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    browser: 'Chrome',
    os: 'Windows',
    device_type: 'desktop',
    screen: [1920, 1080],
  },
  {
    user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    browser: 'Safari',
    os: 'macOS',
    device_type: 'desktop',
    screen: [1512, 982],
  },
  {
    user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    browser: 'Firefox',
    os: 'Windows',
    device_type: 'desktop',
    screen: [2560, 1440],
  },
  {
    user_agent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    browser: 'Mobile Safari',
    os: 'iOS',
    device_type: 'mobile',
    screen: [393, 852],
  },
];

/** Where a visit came from: a referrer, or a campaign's UTM tags. */
const SOURCES: readonly { referrer: string | null; utm: [string, string, string] | null; weight: number }[] = [
  { referrer: 'https://www.google.com/', utm: null, weight: 40 },
  { referrer: null, utm: null, weight: 25 },
  { referrer: 'https://www.linkedin.com/', utm: null, weight: 12 },
  { referrer: 'https://www.linkedin.com/', utm: ['linkedin', 'paid_social', 'q4-data-platform'], weight: 8 },
  { referrer: null, utm: ['newsletter', 'email', 'november-digest'], weight: 10 },
  { referrer: 'https://news.ycombinator.com/', utm: null, weight: 5 },
];
const SOURCE_BAG = SOURCES.flatMap((s) => Array.from({ length: s.weight }, () => s));

const ISPS: readonly [number, string][] = [
  [7922, 'Comcast Cable Communications, LLC'],
  [3320, 'Deutsche Telekom AG'],
  [2856, 'British Telecommunications PLC'],
  [701, 'Verizon Business'],
];

type Pick = <T>(list: readonly T[]) => T;

interface Visitor {
  id: string;
  device: Device;
  /** The person's company network (at work) or an ISP (at home). */
  network: { asn: number; org: string; type: 'business' | 'isp' };
  location: { country: string; region: string; city: string };
  hem: string | null;
}

/** Builds the dataset in memory: about 20 page views per browsing person at the defaults (2,000 people, 28 days: ~50,000 rows). */
export function generateDemo(o: DemoOptions): DemoDataset {
  const rnd = seededRandom(o.seed ?? 20261129);
  const pick: Pick = (list) => list[Math.floor(rnd() * list.length)] as (typeof list)[number];
  const today = Math.floor(o.now / DAY_MS);
  const sinceMidnight = o.now - today * DAY_MS;
  const events: EventRow[] = [];
  const profiles: ProfilePatch[] = [];
  const links: NewLink[] = [];
  const people: DemoPerson[] = [];

  /** A time `daysAgo` whole UTC days before today, never after now. */
  const timeOn = (daysAgo: number): number =>
    daysAgo === 0 ? o.now - Math.floor(rnd() * Math.max(1, sinceMidnight)) : (today - daysAgo) * DAY_MS + Math.floor(rnd() * DAY_MS);

  const visit = (v: Visitor, start: number, pages: readonly DemoPage[]): number => {
    const source = pick(SOURCE_BAG);
    const sessionId = randomUUID();
    let ts = start;
    pages.forEach((page, i) => {
      const first = i === 0;
      events.push(
        row(o, {
          ts,
          visitor: v,
          sessionId,
          page,
          referrer: first ? source.referrer : `https://${DEMO_HOST}${(pages[i - 1] as DemoPage).path}`,
          utm: first ? source.utm : null,
        }),
      );
      ts += 15_000 + Math.floor(rnd() * 150_000);
    });
    // A visit that starts in the last minutes would run past now: move it back so it ends by now
    // (the same random draws, so the rest of the data does not change).
    const last = events[events.length - 1];
    const overrun = last ? last.ts_millis - o.now : 0;
    if (overrun > 0) {
      for (let k = events.length - pages.length; k < events.length; k++) {
        const e = events[k] as EventRow;
        events[k] = { ...e, ts_millis: e.ts_millis - overrun, received_millis: e.received_millis - overrun };
      }
    }
    return ts - Math.max(0, overrun);
  };
  const topicPages = (topicId: string): readonly DemoPage[] => DEMO_TOPICS.find((t) => t.topicId === topicId)?.pages ?? [];
  const session = (interests: readonly string[], length: number): DemoPage[] =>
    Array.from({ length }, (_, i) =>
      i === 0 && rnd() < 0.35 ? pick(DEMO_GENERAL_PAGES) : rnd() < 0.8 ? pick(topicPages(pick(interests))) : pick(DEMO_GENERAL_PAGES),
    );
  const newVisitor = (company: Company | null, hem: string | null): Visitor => {
    const atWork = company !== null && rnd() < 0.6;
    const [asn, org] = pick(ISPS);
    return {
      // The tracker's form of id (32 hex digits), which DuckDB keys (analytics/duckdb-visitor-key.ts).
      id: randomUUID().replaceAll('-', ''),
      device: pick(DEVICES),
      network: atWork ? { asn: 64_512 + Math.floor(rnd() * 1000), org: company.name, type: 'business' } : { asn, org, type: 'isp' },
      location: company
        ? { country: company.country, region: company.state, city: company.city }
        : pick([
            { country: 'US', region: 'California', city: 'Los Angeles' },
            { country: 'GB', region: 'England', city: 'Manchester' },
            { country: 'DE', region: 'Berlin', city: 'Berlin' },
            { country: 'IN', region: 'Karnataka', city: 'Bengaluru' },
          ]),
      hem,
    };
  };
  const topicIds = DEMO_TOPICS.map((t) => t.topicId);

  for (let p = 0; p < o.people; p++) {
    const company = COMPANIES[p % COMPANIES.length] as Company;
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}${p}@${company.domain}`.toLowerCase();
    const hems = hemsOf(email);
    const [title, seniority, department] = pick(ROLE_BAG);
    profiles.push({
      ...hems,
      first_name: first,
      last_name: last,
      current_business_email: email,
      business_emails: email,
      is_email_business: 'true',
      job_title: title,
      seniority_level: seniority,
      department,
      linkedin_url: `https://www.linkedin.com/in/${first}-${last}-${p}`.toLowerCase(),
      company_name: company.name,
      company_domain: company.domain,
      company_industry: company.industry,
      company_employee_count: company.employees,
      company_revenue: company.revenue,
      company_city: company.city,
      company_state: company.state,
      company_country: company.country,
    });
    const person: DemoPerson = { hem_sha256: hems.hem_sha256, email, visitors: [], surgeTopic: null };
    people.push(person);
    // One in five is only in the CRM: a profile, never seen on the site.
    if (rnd() < 0.2) continue;
    const interests = [pick(topicIds), pick(topicIds)];
    const visitors = Array.from({ length: rnd() < 0.3 ? 2 : 1 }, () => newVisitor(company, hems.hem_sha256));
    person.visitors = visitors.map((v) => v.id);
    // Their usual pace: a visit on about one day in six over the whole history.
    let firstVisit = Number.POSITIVE_INFINITY;
    for (let d = o.days - 1; d >= 0; d--) {
      if (rnd() >= 0.16) continue;
      const start = timeOn(d);
      firstVisit = Math.min(firstVisit, start);
      visit(pick(visitors), start, session(interests, 1 + Math.floor(rnd() * 4)));
    }
    // One in ten is researching one topic right now: several long sessions on each of the last three days, pricing included.
    if (rnd() < 0.1) {
      const topic = pick(topicIds);
      person.surgeTopic = topic;
      for (let d = Math.min(2, o.days - 1); d >= 0; d--) {
        const sessions = d === 0 ? 2 : 1 + Math.floor(rnd() * 2);
        for (let s = 0; s < sessions; s++) {
          const start = timeOn(d);
          firstVisit = Math.min(firstVisit, start);
          const pages = Array.from({ length: 3 + Math.floor(rnd() * 3) }, () => pick(topicPages(topic)));
          if (s === 0) pages.push(DEMO_GENERAL_PAGES[1] as DemoPage);
          visit(pick(visitors), start, pages);
        }
      }
    }
    if (!Number.isFinite(firstVisit)) {
      const start = timeOn(Math.floor(rnd() * o.days));
      firstVisit = start;
      visit(pick(visitors), start, session(interests, 1));
    }
    // They were identified by a form they submitted on their first visit; the link covers every visit, earlier ones too.
    const formVisitor = visitors[0] as Visitor;
    events.push(
      row(o, {
        ts: Math.min(firstVisit + 60_000, o.now),
        visitor: formVisitor,
        sessionId: null,
        page: DEMO_GENERAL_PAGES[3] as DemoPage,
        referrer: null,
        utm: null,
        form: { form_id: 'contact-sales', hem: hems.hem_sha256, company: company.name },
      }),
    );
    for (const v of visitors) links.push({ visitor_id: v.id, hem_sha256: hems.hem_sha256, source: 'form', at: firstVisit });
  }

  // Anonymous visitors, as many as browsing people: a visit or two each.
  const anonymous = Math.round(o.people * 0.8);
  for (let a = 0; a < anonymous; a++) {
    const v = newVisitor(rnd() < 0.5 ? pick(COMPANIES) : null, null);
    const visits = 1 + Math.floor(rnd() * 2);
    for (let i = 0; i < visits; i++) visit(v, timeOn(Math.floor(rnd() * o.days)), session([pick(topicIds)], 1 + Math.floor(rnd() * 3)));
  }

  const samples = new Map<string, EventRow>();
  for (const e of events) if (e.event_type === 'page_view' && e.url && !samples.has(e.url)) samples.set(e.url, e);
  events.sort((a, b) => a.ts_millis - b.ts_millis);
  return { profiles, links, events, people, pageSamples: [...samples.values()] };
}

function row(
  o: DemoOptions,
  e: {
    ts: number;
    visitor: Visitor;
    sessionId: string | null;
    page: DemoPage;
    referrer: string | null;
    utm: [string, string, string] | null;
    form?: { form_id: string; hem: string; company: string };
  },
): EventRow {
  const url = `https://${DEMO_HOST}${e.page.path}`;
  return {
    event_id: randomUUID(),
    event_type: e.form ? 'form_submission' : 'page_view',
    ts_millis: e.ts,
    received_millis: e.ts,
    organization_id: o.organizationId,
    project_id: o.projectId,
    pixel_id: o.pixelId,
    visitor_id: e.visitor.id,
    session_id: e.sessionId,
    url,
    path: e.page.path,
    referrer: e.referrer,
    title: e.page.title,
    user_agent: e.visitor.device.user_agent,
    browser: e.visitor.device.browser,
    os: e.visitor.device.os,
    device_type: e.visitor.device.device_type,
    ip: null,
    language: 'en-US',
    screen_width: e.visitor.device.screen[0],
    screen_height: e.visitor.device.screen[1],
    utm_source: e.utm?.[0] ?? null,
    utm_medium: e.utm?.[1] ?? null,
    utm_campaign: e.utm?.[2] ?? null,
    utm_term: null,
    utm_content: null,
    event_data: e.form ? JSON.stringify({ formId: e.form.form_id, formData: { email: '*****', company: e.form.company } }) : null,
    is_bot: false,
    resolved: e.form !== undefined,
    hem_sha256: e.form ? e.form.hem : null,
    country: e.visitor.location.country,
    region: e.visitor.location.region,
    city: e.visitor.location.city,
    asn: e.visitor.network.asn,
    network_org: e.visitor.network.org,
    network_type: e.visitor.network.type,
    description: e.form ? null : e.page.description,
    heading: e.form ? null : e.page.heading,
  };
}
