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

// Names for people where the API speaks code: event types, the pixel's optional trackers, visitors.

const EVENT_TYPE_NAME: Record<string, string> = {
  page_view: 'Page view',
  click: 'Click',
  form_submission: 'Form submission',
  scroll_depth: 'Scroll depth',
  file_download: 'File download',
  copy: 'Copy',
  exit_intent: 'Exit intent',
  user_idle: 'Idle',
  identify: 'Identify',
  video_play: 'Video play',
  video_pause: 'Video pause',
  video_complete: 'Video complete',
};

/** "form_submission" → "Form submission"; a custom type from track() is shown as sent. */
export const eventTypeName = (type: string): string => EVENT_TYPE_NAME[type] ?? type;

const TRACKER_NAME: Record<string, string> = {
  spa: 'In-page navigation',
  clicks: 'Clicks',
  forms: 'Form submissions',
  downloads: 'File downloads',
  scroll: 'Scroll depth',
  exit: 'Exit intent',
  idle: 'Idle',
  copy: 'Copy',
  video: 'Video',
};

/** A pixel's optional tracker ("spa") as its short name for people ("In-page navigation"). */
export const trackerName = (name: string): string => TRACKER_NAME[name] ?? name;

/**
 * A visitor id is a long hash: its first 8 characters tell visitors apart on one screen, the way
 * short commit ids do; the full id stays in the event's detail.
 */
export const shortVisitor = (id: string): string => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** Fields of an event that hold epoch milliseconds, shown as dates. */
export const isMillisField = (key: string): boolean => /(^ts|_ms|_millis|_at)$/.test(key);
