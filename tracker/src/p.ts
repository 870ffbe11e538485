// Delivr pixel (p.js), the browser half of pixel ingest. Small on purpose (budget 1.75 KB gzipped):
// optional trackers sit behind build-time constants the minifier drops, payload keys are the wire
// names the server reads, and sends are text/plain beacons so no CORS preflight is ever needed.
// The server substitutes __DELIVR_CONFIG__ per pixel (src/pixels/render.ts). Wire format: README.md.
import { normalizeEmail } from '../../src/identity/email.js';
import type { Command, DelivrApi, Params, TrackerEvent } from '../payload.js';

declare const __DELIVR_CONFIG__: [pixelId: string, organizationId: string, endpoint: string, respectPrivacySignals: boolean];
declare const FEATURE_CLICKS: boolean;
declare const FEATURE_FORMS: boolean;
declare const FEATURE_SCROLL: boolean;
declare const FEATURE_DOWNLOADS: boolean;
declare const FEATURE_EXIT: boolean;
declare const FEATURE_IDLE: boolean;
declare const FEATURE_COPY: boolean;
declare const FEATURE_VIDEO: boolean;
declare const FEATURE_SPA: boolean;

type Data = Record<string, unknown>;

const MASK = '*****';
const SENSITIVE = /pass|card|cc.?num|cvc|cvv|ssn|secret|token/i;
const DOWNLOAD = /\.(pdf|zip|rar|gz|docx?|xlsx?|pptx?|csv|jpe?g|png|gif|mp[34]|dmg|exe)$/i;

const w = window as Window & { delivr?: unknown; PixelSDK?: unknown };
const d = document;
const nav = navigator as Navigator & { doNotTrack?: string | null; globalPrivacyControl?: boolean };
const loc = location;
const assign = Object.assign;
const [pixelId, organizationId, endpoint, respectPrivacySignals] = __DELIVR_CONFIG__;
const blocked = respectPrivacySignals && (nav.doNotTrack === '1' || nav.globalPrivacyControl);

let started: boolean | undefined;
// track/identify calls made before start(): replayed by it, or dropped for good when blocked.
let held: [string, Data?, string?][] = [];
let queue: TrackerEvent[] = [];
let flushTimer: ReturnType<typeof setTimeout> | 0 = 0;
const globalParams: Params = {};
let eventParams: Record<string, Params> = {};
let pageUrl = loc.href;
let referrer: string | null = d.referrer || null;
let scrolled: boolean | undefined;
let exited: boolean | undefined;

const on = (type: string, listener: (e: Event) => void, target: EventTarget = d, capture?: boolean) =>
  target.addEventListener(type, listener, capture);

const hex = (bytes: ArrayBuffer | ArrayLike<number>): string =>
  Array.from(new Uint8Array(bytes), (b) => (b + 256).toString(16).slice(1)).join('');

// Ids live in first-party cookies `_dlvr_v` (visitor, 400 days) and `_dlvr_s` (session), rewritten
// with every event: the session cookie's 30-minute max-age is the inactivity timeout, so the browser
// expires it and the next event starts a new session. getRandomValues, unlike randomUUID, also
// exists on plain-http pages.
const randomId = (): string => hex(crypto.getRandomValues(new Uint8Array(16)));

const cookie = (name: string, maxAge: number): string => {
  const id = (RegExp(`_dlvr_${name}=(\\w+)`).exec(d.cookie) || [])[1] || randomId();
  // biome-ignore lint/suspicious/noDocumentCookie: synchronous and in every browser; cookieStore is neither.
  d.cookie = `_dlvr_${name}=${id};max-age=${maxAge};path=/`;
  return id;
};

// The server's own normalisation (src/identity/email.ts, bundled), so the browser's hash of an email
// is the HEM that import, lookup and erasure compute for it. crypto.subtle only exists in secure
// contexts; elsewhere the email is dropped, never sent in clear.
const sha256 = async (email: string): Promise<string | undefined> => {
  const normalised = normalizeEmail(email);
  if (normalised)
    try {
      return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(normalised)));
    } catch {}
};

const post = (body: string, attempt: number): void => {
  const retry = () => attempt < 2 && setTimeout(post, 1e3 << attempt, body, attempt + 1);
  // Network errors and 5xx are worth another try; a 4xx would fail the same way again.
  fetch(endpoint, { method: 'POST', body, keepalive: true }).then((response) => response.status < 500 || retry(), retry);
};

// A string body goes out as text/plain;charset=UTF-8 on both paths: a CORS-simple request.
const flush = (): void => {
  flushTimer = 0;
  if (queue[0]) {
    const body = JSON.stringify(queue[1] ? { events: queue } : queue[0]);
    queue = [];
    if (!(nav.sendBeacon && nav.sendBeacon(endpoint, body))) post(body, 0);
  }
};

const send = (type: string, data?: Data, hem?: string): void => {
  if (!started) {
    if (!blocked) held.push([type, data, hem]);
    return;
  }
  const now = new Date();
  const staticParams = assign({}, globalParams, eventParams[type]);
  // Keys holding undefined (static_params, hem_sha256) vanish in JSON.stringify.
  queue.push({
    // A retry resends the same body, so the server stores this event once (docs/ingest.md).
    event_id: randomId(),
    event_type: type,
    event_data: assign({ url: loc.href, timestamp: now.toISOString() }, data, {
      static_params: Object.keys(staticParams)[0] ? staticParams : undefined,
    }),
    pixel_id: pixelId,
    organization_id: organizationId,
    visitor_id: cookie('v', 34560000),
    session_id: cookie('s', 1800),
    event_url: loc.href,
    ts: +now,
    screen: [screen.width, screen.height],
    lang: nav.language,
    title: d.title,
    referrer,
    hem_sha256: hem,
  });
  if (queue[9]) flush();
  else if (!flushTimer) flushTimer = setTimeout(flush, 1e3);
};

// What the page says about itself, for page classification (docs/intent.md): the meta description
// and the first h1, cut to 300 characters ("" when the page has none); the server collapses whitespace.
const pageText = (selector: string, key: 'content' | 'textContent'): string =>
  (((d.querySelector(selector) || {}) as Record<string, string | null>)[key] || '').slice(0, 300);

const pageView = () =>
  send('page_view', {
    referrer,
    title: d.title,
    description: pageText('meta[name=description]', 'content'),
    heading: pageText('h1', 'textContent'),
  });

const start = (): void => {
  if (started || blocked) return;
  started = true;
  pageView();

  if (FEATURE_SPA) {
    const navigated = () => {
      if (loc.href !== pageUrl) {
        referrer = pageUrl;
        pageUrl = loc.href;
        if (FEATURE_SCROLL) scrolled = false;
        pageView();
      }
    };
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args);
        navigated();
      };
    }
    on('popstate', navigated, w);
    on('hashchange', navigated, w);
  }

  if (FEATURE_CLICKS || FEATURE_DOWNLOADS)
    on('click', (e) => {
      const target = e.target as Element;
      if (FEATURE_CLICKS) {
        const el = (target.closest('a,button') || target) as HTMLElement;
        const attribute = (name: string) => el.getAttribute(name);
        if (el !== d.body && el !== d.documentElement)
          send('click', {
            element: {
              tag: el.tagName,
              id: attribute('id'),
              classes: attribute('class'),
              // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, whitespace collapsed, is what a person clicked.
              text: (el.innerText || '').trim().slice(0, 100) || null,
              attributes: { href: attribute('href'), name: attribute('name'), type: attribute('type') },
            },
          });
      }
      if (FEATURE_DOWNLOADS) {
        const link = target.closest('a');
        if (link && DOWNLOAD.test(link.pathname)) send('file_download', { url: link.href });
      }
    });

  if (FEATURE_FORMS)
    on('submit', (e) => {
      const form = e.target as HTMLFormElement;
      const formData: Record<string, FormDataEntryValue> = {};
      let email = '';
      new FormData(form).forEach((value, name) => {
        // The field's type joins its name in the tests, so type="email"/"password" match too.
        const key = name + ((form.elements.namedItem(name) as HTMLInputElement | null) || {}).type;
        let sent = value;
        if (/mail/i.test(key)) {
          email ||= `${value}`;
          sent = MASK;
        } else if (SENSITIVE.test(key)) sent = MASK;
        formData[name] = sent;
      });
      // The submit usually navigates away: send at once instead of waiting for the batch window.
      sha256(email).then((hem) => {
        send('form_submission', { formId: form.getAttribute('id'), formData }, hem);
        flush();
      });
    });

  if (FEATURE_SCROLL)
    on('scroll', () => {
      const percentage = (scrollY / (d.documentElement.scrollHeight - innerHeight)) * 100;
      if (!scrolled && percentage > 50) {
        scrolled = true;
        send('scroll_depth', { percentage: Math.round(percentage) });
      }
    });

  if (FEATURE_EXIT)
    on('mouseout', (e) => {
      if (!exited && (e as MouseEvent).clientY < 0) {
        exited = true;
        send('exit_intent');
      }
    });

  if (FEATURE_IDLE) {
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const active = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(send, 3e4, 'user_idle');
    };
    for (const type of ['mousemove', 'keydown', 'scroll']) on(type, active);
    active();
  }

  if (FEATURE_COPY) on('copy', () => send('copy', { text: `${getSelection()}`.slice(0, 200) }));

  if (FEATURE_VIDEO)
    // Media events do not bubble: one capturing listener covers every video, including later ones.
    for (const type of ['play', 'pause', 'ended'])
      on(
        type,
        (e) => {
          const video = e.target as HTMLVideoElement;
          if (video.tagName === 'VIDEO' && !(type === 'pause' && video.ended))
            send(`video_${type === 'ended' ? 'complete' : type}`, { src: video.currentSrc });
        },
        d,
        true,
      );

  // Fires on tab switches and on navigation away (before pagehide), while a beacon can still leave.
  on('visibilitychange', () => {
    if (d.hidden) flush();
  });

  for (const call of held) send(...call);
  held = [];
};

const setParams = (types: string | string[], params: Params, overwrite?: boolean): DelivrApi => {
  for (const type of ([] as string[]).concat(types)) eventParams[type] = assign(overwrite ? {} : eventParams[type] || {}, params);
  return api;
};

const api: DelivrApi = {
  init: () => {
    start();
    return api;
  },
  track: (name, props) => {
    if (name) send(`${name}`, assign({}, props));
    return api;
  },
  identify: (user) => {
    sha256((user && user.email) || '').then((hem) => {
      if (hem) send('identify', {}, hem);
    });
    return api;
  },
  setGlobalParams: (params) => {
    assign(globalParams, params);
    return api;
  },
  setEventParams: (types, params, options) => setParams(types, params, options && options.overwrite),
  addParamsForEvents: (types, params) => setParams(types, params),
  // Delivr's own p.js API: eventParams replaces, globalParams merges.
  configure: (options) => {
    eventParams = options.eventParams || eventParams;
    return api.setGlobalParams(options.globalParams || {});
  },
  push: (...commands: Command[]) => {
    // An unknown method calls String instead: a no-op that cannot abort the rest of the queue.
    for (const [method, ...args] of commands) ((api[method as keyof DelivrApi] || String) as (...a: unknown[]) => unknown)(...args);
  },
};

// A second copy of the script on the page (snippet plus tag manager) leaves the first in charge.
const existing = w.delivr;
if (!(existing && (existing as DelivrApi).init)) {
  w.delivr = w.PixelSDK = api;
  if (Array.isArray(existing)) api.push(...(existing as Command[]));
  const script = d.getElementById('delivr-ai');
  if (!script || script.dataset.autoInit !== 'false') start();
}
