// The demo's fictional website: Northwind Cloud, a B2B data platform vendor. Each topic page says
// what it is about in its title, description and first heading, the way a real marketing site does,
// so the platform's own classifier (src/taxonomy/classify.ts) finds its topics: the demo exercises
// the real pipeline rather than storing topics it made up. test/demo/demo.test.ts checks that every
// topic page is classified into the topic it was written for.

export const DEMO_HOST = 'northwind.example';

export interface DemoPage {
  path: string;
  title: string;
  description: string;
  heading: string;
}

export interface DemoTopic {
  /** The IAB Content Taxonomy topic the pages are written about. */
  topicId: string;
  pages: readonly DemoPage[];
}

export const DEMO_TOPICS: readonly DemoTopic[] = [
  {
    topicId: 'iab_ct_620',
    pages: [
      {
        path: '/solutions/cloud-migration',
        title: 'Cloud Computing Migration | Northwind',
        description: 'Move your workloads to cloud computing infrastructure with a proven migration plan.',
        heading: 'Cloud computing migration without downtime',
      },
      {
        path: '/blog/multi-cloud-strategy',
        title: 'A multi-cloud computing strategy that works',
        description: 'How platform teams run cloud computing across several providers.',
        heading: 'Multi-cloud computing in practice',
      },
      {
        path: '/guides/cloud-cost',
        title: 'Cloud computing costs explained',
        description: 'Understand and cut your cloud computing bill.',
        heading: 'Cloud computing cost guide',
      },
    ],
  },
  {
    topicId: 'iab_ct_618',
    pages: [
      {
        path: '/security/zero-trust',
        title: 'Zero trust network security | Northwind',
        description: 'Information and network security for data platforms: zero trust access for every query.',
        heading: 'Network security by default',
      },
      {
        path: '/blog/information-security-checklist',
        title: 'An information security checklist for data teams',
        description: 'Information and network security practices every data team should follow.',
        heading: 'Information security checklist',
      },
      {
        path: '/security/compliance',
        title: 'Network security and compliance',
        description: 'SOC 2, ISO 27001 and the information and network security controls behind them.',
        heading: 'Security and compliance',
      },
    ],
  },
  {
    topicId: 'iab_ct_616',
    pages: [
      {
        path: '/product/warehouse',
        title: 'Data warehousing | Northwind',
        description: 'Data storage and warehousing for analytics at any scale.',
        heading: 'A data warehouse that scales with you',
      },
      {
        path: '/blog/warehouse-vs-lake',
        title: 'Data warehousing or data lake storage?',
        description: 'Choosing data storage and warehousing for analytics workloads.',
        heading: 'Data storage and warehousing compared',
      },
      {
        path: '/guides/data-storage',
        title: 'Data storage and warehousing best practices',
        description: 'Modelling, partitioning and retention in a data warehouse.',
        heading: 'Data storage best practices',
      },
    ],
  },
  {
    topicId: 'iab_ct_597',
    pages: [
      {
        path: '/product/ai',
        title: 'Artificial intelligence on your data | Northwind',
        description: 'Build artificial intelligence and machine learning features on governed data.',
        heading: 'Artificial intelligence, built in',
      },
      {
        path: '/blog/ai-roadmap',
        title: 'An artificial intelligence roadmap for B2B teams',
        description: 'Where artificial intelligence pays off first.',
        heading: 'Artificial intelligence roadmap',
      },
    ],
  },
  {
    topicId: 'iab_ct_611',
    pages: [
      {
        path: '/product/databases',
        title: 'Managed databases | Northwind',
        description: 'Postgres and SQL databases, managed, with backups and replicas.',
        heading: 'Databases you do not have to babysit',
      },
      {
        path: '/blog/database-indexing',
        title: 'Database indexing for busy databases',
        description: 'Make slow SQL databases fast again.',
        heading: 'Indexing databases',
      },
    ],
  },
];

/** Pages about the company rather than a topic: home, pricing (a buying signal for `events` audiences), contact. */
export const DEMO_GENERAL_PAGES: readonly DemoPage[] = [
  { path: '/', title: 'Northwind Cloud', description: 'The data platform for growing companies.', heading: 'Northwind Cloud' },
  { path: '/pricing', title: 'Pricing | Northwind', description: 'Plans and prices.', heading: 'Pricing' },
  { path: '/customers', title: 'Customers | Northwind', description: 'Who runs on Northwind.', heading: 'Our customers' },
  { path: '/contact', title: 'Contact sales | Northwind', description: 'Talk to our team.', heading: 'Contact sales' },
];
