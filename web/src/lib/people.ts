// How the People pages say things: a person's name when the profile has none, where a visitor link
// came from, and what an event was, in words instead of wire names.

/** The name to show: the profile's name, else its email, else a short form of the hashed email. */
export function personLabel(p: { name: string | null; email: string | null; hem_sha256: string }): string {
  return p.name ?? p.email ?? `Unnamed person ${p.hem_sha256.slice(0, 8)}`;
}

export const LINK_SOURCE: Record<string, string> = {
  form: 'Form with their email',
  identify: 'identify call',
  send_event: 'Server-side event',
  sync: 'Cookie sync',
  import: 'Import',
};

const EVENT_NAME: Record<string, string> = {
  page_view: 'Viewed a page',
  click: 'Clicked',
  form_submission: 'Submitted a form',
  identify: 'Identified',
  file_download: 'Downloaded a file',
  scroll_depth: 'Scrolled down the page',
  exit_intent: 'Was about to leave',
  user_idle: 'Went idle',
  copy: 'Copied text',
  video_play: 'Played a video',
  video_pause: 'Paused a video',
  video_complete: 'Watched a video to the end',
};

/** "Viewed a page" for page_view; a custom event keeps its own name. */
export const eventName = (type: string): string => EVENT_NAME[type] ?? type;

/** Whether the name came from EVENT_NAME (custom events are shown as code). */
export const isKnownEvent = (type: string): boolean => type in EVENT_NAME;
