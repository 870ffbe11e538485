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

const YES_NO = opts(['true', 'Yes'], ['false', 'No']);

const DEPARTMENT_OPTIONS = opts(
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
);
const AGE_RANGE_OPTIONS = opts(
  ['18-24', '18-24'],
  ['25-34', '25-34'],
  ['35-44', '35-44'],
  ['45-54', '45-54'],
  ['55-64', '55-64'],
  ['65+', '65+'],
);
const GENDER_OPTIONS = opts(['female', 'Female'], ['male', 'Male'], ['other', 'Other']);
const INCOME_RANGE_OPTIONS = opts(
  ['<50k', 'Under $50k'],
  ['50k-100k', '$50k-$100k'],
  ['100k-150k', '$100k-$150k'],
  ['150k-250k', '$150k-$250k'],
  ['250k+', '$250k and more'],
);
export const SENIORITY_OPTIONS = opts(['cxo', 'CXO'], ['vp', 'VP'], ['director', 'Director'], ['manager', 'Manager'], ['staff', 'Staff']);

const text = (key: string, display_name: string, category: IdentityField['category'], description: string): IdentityField => ({
  key,
  display_name,
  description,
  category,
  data_type: 'Utf8',
  field_type: 'text',
});

const number = (key: string, display_name: string, category: IdentityField['category'], description: string): IdentityField => ({
  ...text(key, display_name, category, description),
  data_type: 'Int64',
  field_type: 'number',
});

/** A field whose values come from `options`: one of them (select) or several (multiselect). */
const choice = (
  field_type: 'select' | 'multiselect',
  key: string,
  display_name: string,
  category: IdentityField['category'],
  description: string,
  options: readonly FieldOption[],
): IdentityField => ({ ...text(key, display_name, category, description), field_type, options });

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
  choice(
    'select',
    'is_email_business',
    'Email Is Business',
    'contact',
    'Whether the identifying email is a work address ("true" or "false")',
    YES_NO,
  ),
  text('job_title', 'Job Title', 'contact', 'Current job title'),
  choice('multiselect', 'seniority_level', 'Seniority Level', 'contact', 'Standardized seniority classification', SENIORITY_OPTIONS),
  choice('multiselect', 'department', 'Department', 'contact', 'Department or job function', DEPARTMENT_OPTIONS),
  text('phone', 'Phone', 'contact', 'Phone number'),
  text('linkedin_url', 'LinkedIn URL', 'contact', 'LinkedIn profile address'),
  text('company_name', 'Company Name', 'company', "Name of the person's company"),
  text('company_domain', 'Company Domain', 'company', "The company's web domain"),
  text('company_industry', 'Industry', 'company', "The company's industry"),
  number('company_employee_count', 'Employee Count', 'company', 'Number of employees of the company'),
  number('company_revenue', 'Annual Revenue', 'company', 'Annual revenue of the company, in US dollars'),
  text('company_city', 'Company City', 'company', 'City of the company'),
  text('company_state', 'Company State', 'company', 'State or region of the company'),
  text('company_country', 'Company Country', 'company', 'Country of the company (ISO 3166-1 alpha-2)'),
  choice('multiselect', 'age_range', 'Age Range', 'demographics', 'Age bracket', AGE_RANGE_OPTIONS),
  choice('select', 'gender', 'Gender', 'demographics', 'Gender', GENDER_OPTIONS),
  choice('multiselect', 'income_range', 'Income Range', 'demographics', 'Household income bracket, in US dollars', INCOME_RANGE_OPTIONS),
  choice('select', 'homeowner', 'Homeowner', 'demographics', 'Whether the person owns their home ("true" or "false")', YES_NO),
];

/** The hashed-email identifiers every profile carries. */
export const HEM_FIELDS: readonly IdentityField[] = [
  text('hem_sha256', 'HEM (SHA-256)', 'identifier', 'SHA-256 of the normalised email'),
  text('hem_md5', 'HEM (MD5)', 'identifier', 'MD5 of the normalised email'),
  text('hem_sha1', 'HEM (SHA-1)', 'identifier', 'SHA-1 of the normalised email'),
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
