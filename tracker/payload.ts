// Wire types of what p.js POSTs to the ingest endpoint and of its public browser API. One readable
// source shared by the tracker (which is type-checked against it) and the server that parses it;
// tracker/README.md is the prose version of the same contract.

export type Params = Record<string, unknown>;

/** `event_data`: the keys every event carries, then the type-specific ones (see README). */
export interface EventData {
  /** Page URL (for `file_download`: the file's URL, as Delivr's own p.js sends it). */
  url: string;
  /** ISO 8601, the same instant as the event's `ts`. */
  timestamp: string;
  /** `globalParams` merged with `eventParams[event_type]`; absent when that merge is empty. */
  static_params?: Params;
  [key: string]: unknown;
}

export interface TrackerEvent {
  /** 32 lowercase hex chars, new per event; retries repeat it, so the server stores the event once. */
  event_id: string;
  event_type: string;
  event_data: EventData;
  pixel_id: string;
  organization_id: string;
  /** First-party, per browser (localStorage, else cookie `_dlvr_v`). */
  visitor_id: string;
  /** Per tab; renewed after 30 minutes without events. */
  session_id: string;
  /** Page URL at the time of the event (Send Event API's `event_url`). */
  event_url: string;
  /** Epoch milliseconds. */
  ts: number;
  /** `[screen.width, screen.height]`, CSS pixels. */
  screen: [number, number];
  lang: string;
  title: string;
  /** Referrer of the current page view (`document.referrer`, or the previous URL after SPA navigation). */
  referrer: string | null;
  /** SHA-256 hex of a trimmed, lowercased email; only on `identify` and `form_submission`. */
  hem_sha256?: string;
}

/** A POST body: one event alone, or several batched. */
export type TrackerBody = TrackerEvent | { events: TrackerEvent[] };

/** A queued call: `delivr.push(['track', 'signup', {...}])`. */
export type Command = [method: string, ...args: unknown[]];

/** `window.delivr` and its alias `window.PixelSDK`. Every method but `push` returns the API for chaining. */
export interface DelivrApi {
  init(): DelivrApi;
  track(name: string, props?: Params): DelivrApi;
  identify(user: { email?: string }): DelivrApi;
  setGlobalParams(params: Params): DelivrApi;
  setEventParams(types: string | string[], params: Params, options?: { overwrite?: boolean }): DelivrApi;
  addParamsForEvents(types: string | string[], params: Params): DelivrApi;
  configure(options: { globalParams?: Params; eventParams?: Record<string, Params> }): DelivrApi;
  push(...commands: Command[]): void;
}
