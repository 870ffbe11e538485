// The session API client: same-origin fetch with the session cookie, the CSRF token on unsafe
// methods, and failures turned into sentences from the API's `{"error", "details"}` body, so pages
// never show a status code or an error code to the person using them.

let csrfToken = '';
let onSignedOut: () => void = () => {};
let onOrgLost: () => void = () => {};

export const setCsrfToken = (token: string): void => {
  csrfToken = token;
};

/** Called when the server says the session is gone (expired, signed out elsewhere, password reset). */
export const onSessionLost = (handler: () => void): void => {
  onSignedOut = handler;
};

/**
 * Called when the server says an organization in the session is not found: the person was removed
 * (or it was deleted) since the session was loaded. The app reloads the session and says so, rather
 * than leaving the page's buttons up next to "Organization not found".
 */
export const onOrganizationLost = (handler: () => void): void => {
  onOrgLost = handler;
};

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const sentence = (text: string): string => {
  const t = text.trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

const FALLBACK: Record<number, string> = {
  0: 'Could not reach the server. Check your connection and try again.',
  401: 'Please sign in again.',
  403: 'You do not have permission to do that.',
  404: 'This was not found. It may have been deleted.',
  409: 'This conflicts with the current state. Reload the page and try again.',
  413: 'That is too large.',
  429: 'Too many requests. Wait a moment and try again.',
};

/** The message to show for a failed response: the API's details when given, else its error. */
export function describeFailure(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const { error, details } = body as { error?: unknown; details?: unknown };
    if (typeof details === 'string' && details.trim()) return sentence(details);
    if (typeof error === 'string' && error.trim()) return sentence(error);
  }
  return FALLBACK[status] ?? (status >= 500 ? 'The server had a problem. Try again in a moment.' : 'Something went wrong. Try again.');
}

/** Times a read refused because the organization's queries are all busy (`too_many_queries`) is tried again. */
const BUSY_RETRIES = 2;

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`/dashboard/api${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(describeFailure(0, null), 0);
    }
    const text = await res.text();
    // A page that asks many things at once (the overview's panels) may find the organization's query
    // share full for a moment: a read waits the Retry-After it is given and asks again.
    if (method === 'GET' && res.status === 429 && attempt < BUSY_RETRIES && text.includes('"too_many_queries"')) {
      const seconds = Number(res.headers.get('retry-after') ?? '1');
      await new Promise((r) => setTimeout(r, Math.min(5, Number.isFinite(seconds) ? seconds : 1) * 1000));
      continue;
    }
    return settle<T>(res.status, text);
  }
}

/** The parsed body of a success, or the failure as an ApiError in words (and sign-out when the session is gone). */
function settle<T>(status: number, text: string): T {
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (status < 200 || status > 299) {
    const code = data && typeof data === 'object' ? (data as { code?: unknown }).code : undefined;
    if (status === 401 && code === 'session_required') onSignedOut();
    if (status === 404 && code === 'organization_not_found') onOrgLost();
    throw new ApiError(describeFailure(status, data), status);
  }
  return data as T;
}

/**
 * POSTs a file as the request body with its own content type (CSV, NDJSON), reporting how much of
 * it has been sent: XMLHttpRequest, because fetch cannot report upload progress.
 */
export function upload<T>(path: string, body: Blob, contentType: string, onProgress?: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/dashboard/api${path}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        resolve(settle<T>(xhr.status, xhr.responseText));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(describeFailure(0, null), 0));
    xhr.send(body);
  });
}

export const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.message : 'Something went wrong in the page. Reload and try again.';
