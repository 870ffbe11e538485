// The session API client: same-origin fetch with the session cookie, the CSRF token on unsafe
// methods, and failures turned into sentences from the API's `{"error", "details"}` body, so pages
// never show a status code or an error code to the person using them.

let csrfToken = '';
let onSignedOut: () => void = () => {};

export const setCsrfToken = (token: string): void => {
  csrfToken = token;
};

/** Called when the server says the session is gone (expired, signed out elsewhere, password reset). */
export const onSessionLost = (handler: () => void): void => {
  onSignedOut = handler;
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

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
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
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = data && typeof data === 'object' ? (data as { code?: unknown }).code : undefined;
    if (res.status === 401 && code === 'session_required') onSignedOut();
    throw new ApiError(describeFailure(res.status, data), res.status);
  }
  return data as T;
}

export const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.message : 'Something went wrong in the page. Reload and try again.';
