// Dates as people read them, in their own time zone. The API sends ISO 8601, except the Partner
// API's `YYYY-MM-DD HH:MM:SS` (UTC) on projects and pixels.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function parseTime(value: string | number): Date {
  if (typeof value === 'number') return new Date(value);
  if (/^\d+$/.test(value)) return new Date(Number(value));
  return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(value) ? `${value.replace(' ', 'T')}Z` : value);
}

export const formatDate = (value: string | number): string => dateTime.format(parseTime(value));
export const formatDateSeconds = (value: string | number): string => dateTimeSeconds.format(parseTime(value));

export const fullName = (p: { first_name: string | null; last_name: string | null; email: string }): string =>
  [p.first_name, p.last_name].filter(Boolean).join(' ') || p.email;
