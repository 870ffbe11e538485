// The identity fields: the one definition that the profile store's columns, events_schema, the
// Events API's select/filter/distinct, lookup, import and the field catalog (and audience rules) are
// all generated from, so they cannot disagree. Field ids are UUIDv5 of the key in a fixed namespace:
// stable across restarts and installs.
import { createHash } from 'node:crypto';
import type { ArrowType } from '../analytics/types.js';

export type FieldCategory = 'identifier' | 'contact' | 'company' | 'demographics' | 'intent' | 'event';
export type FieldType = 'text' | 'number' | 'boolean' | 'select' | 'multiselect';

export interface FieldOption {
  value: string;
  label: string;
}

export interface IdentityField {
  readonly key: string;
  readonly display_name: string;
  readonly description: string;
  readonly category: Exclude<FieldCategory, 'intent' | 'event'>;
  readonly data_type: ArrowType;
  readonly field_type: FieldType;
  readonly options?: readonly FieldOption[];
}

const opts = (...pairs: [string, string][]): FieldOption[] => pairs.map(([value, label]) => ({ value, label }));

export const SENIORITY_OPTIONS = opts(['cxo', 'CXO'], ['vp', 'VP'], ['director', 'Director'], ['manager', 'Manager'], ['staff', 'Staff']);

const text = (key: string, display_name: string, category: IdentityField['category'], description: string): IdentityField => ({
  key,
  display_name,
  description,
  category,
  data_type: 'Utf8',
  field_type: 'text',
});

/**
 * Profile columns after the three hashes, in storage order. `is_email_business` is the string
 * "true"/"false", as Delivr's docs filter it (`is_email_business:eq:"true"`).
 */
export const IDENTITY_FIELDS: readonly IdentityField[] = [
  text('first_name', 'First Name', 'contact', "The person's first name"),
  text('last_name', 'Last Name', 'contact', "The person's last name"),
  text('current_business_email', 'Business Email', 'contact', 'Current work email address'),
  text('business_emails', 'Business Emails', 'contact', 'Every known work email address, comma-separated'),
  text('personal_email', 'Personal Email', 'contact', 'Personal email address'),
  {
    key: 'is_email_business',
    display_name: 'Email Is Business',
    description: 'Whether the identifying email is a work address ("true" or "false")',
    category: 'contact',
    data_type: 'Utf8',
    field_type: 'select',
    options: opts(['true', 'Yes'], ['false', 'No']),
  },
  text('job_title', 'Job Title', 'contact', 'Current job title'),
  {
    key: 'seniority_level',
    display_name: 'Seniority Level',
    description: 'Standardized seniority classification',
    category: 'contact',
    data_type: 'Utf8',
    field_type: 'multiselect',
    options: SENIORITY_OPTIONS,
  },
  {
    key: 'department',
    display_name: 'Department',
    description: 'Department or job function',
    category: 'contact',
    data_type: 'Utf8',
    field_type: 'multiselect',
    options: opts(
      ['engineering', 'Engineering'],
      ['finance', 'Finance'],
      ['hr', 'Human Resources'],
      ['it', 'IT'],
      ['legal', 'Legal'],
      ['marketing', 'Marketing'],
      ['operations', 'Operations'],
      ['product', 'Product'],
      ['sales', 'Sales'],
      ['support', 'Customer Support'],
      ['other', 'Other'],
    ),
  },
  text('phone', 'Phone', 'contact', 'Phone number'),
  text('linkedin_url', 'LinkedIn URL', 'contact', 'LinkedIn profile address'),
  text('company_name', 'Company Name', 'company', "Name of the person's company"),
  text('company_domain', 'Company Domain', 'company', "The company's web domain"),
  text('company_industry', 'Industry', 'company', "The company's industry"),
  {
    key: 'company_employee_count',
    display_name: 'Employee Count',
    description: 'Number of employees of the company',
    category: 'company',
    data_type: 'Int64',
    field_type: 'number',
  },
  {
    key: 'company_revenue',
    display_name: 'Annual Revenue',
    description: 'Annual revenue of the company, in US dollars',
    category: 'company',
    data_type: 'Int64',
    field_type: 'number',
  },
  text('company_city', 'Company City', 'company', 'City of the company'),
  text('company_state', 'Company State', 'company', 'State or region of the company'),
  text('company_country', 'Company Country', 'company', 'Country of the company (ISO 3166-1 alpha-2)'),
  {
    key: 'age_range',
    display_name: 'Age Range',
    description: 'Age bracket',
    category: 'demographics',
    data_type: 'Utf8',
    field_type: 'multiselect',
    options: opts(['18-24', '18-24'], ['25-34', '25-34'], ['35-44', '35-44'], ['45-54', '45-54'], ['55-64', '55-64'], ['65+', '65+']),
  },
  {
    key: 'gender',
    display_name: 'Gender',
    description: 'Gender',
    category: 'demographics',
    data_type: 'Utf8',
    field_type: 'select',
    options: opts(['female', 'Female'], ['male', 'Male'], ['other', 'Other']),
  },
  {
    key: 'income_range',
    display_name: 'Income Range',
    description: 'Household income bracket, in US dollars',
    category: 'demographics',
    data_type: 'Utf8',
    field_type: 'multiselect',
    options: opts(
      ['<50k', 'Under $50k'],
      ['50k-100k', '$50k-$100k'],
      ['100k-150k', '$100k-$150k'],
      ['150k-250k', '$150k-$250k'],
      ['250k+', '$250k and more'],
    ),
  },
  {
    key: 'homeowner',
    display_name: 'Homeowner',
    description: 'Whether the person owns their home ("true" or "false")',
    category: 'demographics',
    data_type: 'Utf8',
    field_type: 'select',
    options: opts(['true', 'Yes'], ['false', 'No']),
  },
];

/** The hashed-email identifiers every profile carries. */
export const HEM_FIELDS: readonly IdentityField[] = [
  {
    key: 'hem_sha256',
    display_name: 'HEM (SHA-256)',
    description: 'SHA-256 of the normalised email',
    category: 'identifier',
    data_type: 'Utf8',
    field_type: 'text',
  },
  {
    key: 'hem_md5',
    display_name: 'HEM (MD5)',
    description: 'MD5 of the normalised email',
    category: 'identifier',
    data_type: 'Utf8',
    field_type: 'text',
  },
  {
    key: 'hem_sha1',
    display_name: 'HEM (SHA-1)',
    description: 'SHA-1 of the normalised email',
    category: 'identifier',
    data_type: 'Utf8',
    field_type: 'text',
  },
];

/** The identity field keys, as a type: IDENTITY_FIELDS must list exactly these, in this order (checked below). */
export const IDENTITY_KEYS = [
  'first_name',
  'last_name',
  'current_business_email',
  'business_emails',
  'personal_email',
  'is_email_business',
  'job_title',
  'seniority_level',
  'department',
  'phone',
  'linkedin_url',
  'company_name',
  'company_domain',
  'company_industry',
  'company_employee_count',
  'company_revenue',
  'company_city',
  'company_state',
  'company_country',
  'age_range',
  'gender',
  'income_range',
  'homeowner',
] as const;
export type IdentityFieldKey = (typeof IDENTITY_KEYS)[number];
if (IDENTITY_FIELDS.map((f) => f.key).join() !== IDENTITY_KEYS.join()) throw new Error('IDENTITY_FIELDS and IDENTITY_KEYS disagree');
const BY_KEY = new Map(IDENTITY_FIELDS.map((f) => [f.key, f]));
export const identityField = (key: string): IdentityField | undefined => BY_KEY.get(key);

/** A profile: its hashes and any identity fields known (null where unknown). */
export type Profile = { hem_sha256: string; hem_md5: string; hem_sha1: string | null } & Record<string, string | number | null>;

/** Filter operators by field type: the field catalog lists them and audience rules accept exactly these. */
export const OPERATORS: Record<FieldType, readonly string[]> = {
  text: ['eq', 'ne', 'like', 'not_null'],
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'not_null'],
  boolean: ['eq', 'ne'],
  select: ['eq', 'ne', 'in', 'notin', 'not_null'],
  multiselect: ['in', 'notin', 'not_null'],
};

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name`, so a field's id never changes. */
export function uuidV5(name: string, namespace = '6f4f1b3e-6c1e-4c57-9c5e-0c2a8d3f9b10'): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(name).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
