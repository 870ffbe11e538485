// The one error catalogue: every error the HTTP API can return, with its status and exact body.
// Delivr's documented strings ("Invalid API key", "User not found.", ...) live here verbatim, and
// docs/errors.md is checked against this list by a test.

export const ERRORS = {
  invalid_parameters: { status: 400, message: 'Invalid parameters.' },
  invalid_json: { status: 400, message: 'Request body is not valid JSON.' },
  missing_auth: { status: 401, message: 'Missing or invalid authentication.' },
  invalid_api_key: { status: 401, message: 'Invalid API key' },
  invalid_api_secret: { status: 401, message: 'Invalid API secret' },
  api_secret_required: { status: 401, message: 'API secret is required' },
  invalid_token: { status: 401, message: 'Invalid or expired token.' },
  wrong_token_type: { status: 401, message: 'This token is not valid for this API.' },
  invalid_credentials: { status: 401, message: 'Invalid credentials.' },
  missing_client_credentials: {
    status: 401,
    message: 'X-Delivr-Client-ID and X-Delivr-Client-Secret headers are required.',
  },
  invalid_client_credentials: { status: 401, message: 'Invalid client credentials.' },
  session_required: { status: 401, message: 'Sign in required.' },
  admin_token_required: { status: 401, message: 'A valid admin token is required.' },
  metrics_token_required: { status: 401, message: 'A valid metrics token is required.' },
  forbidden: { status: 403, message: 'Forbidden.' },
  csrf_failed: { status: 403, message: 'Missing or invalid CSRF token.' },
  signup_closed: {
    status: 403,
    message: 'Sign-up is closed. Ask your Delivr contact or an organization owner for an invitation.',
  },
  client_app_mismatch: { status: 403, message: 'These app credentials belong to another user.' },
  admin_disabled: { status: 404, message: 'Not found.' },
  not_found: { status: 404, message: 'Not found.' },
  user_not_found: { status: 404, message: 'User not found.' },
  organization_not_found: { status: 404, message: 'Organization not found.' },
  project_not_found: { status: 404, message: 'Project not found.' },
  pixel_not_found: { status: 404, message: 'Pixel not found.' },
  client_not_found: { status: 404, message: 'API client not found.' },
  key_not_found: { status: 404, message: 'API key not found.' },
  app_not_found: { status: 404, message: 'App not found.' },
  member_not_found: { status: 404, message: 'Member not found.' },
  category_not_found: { status: 404, message: 'Category not found.' },
  subcategory_not_found: { status: 404, message: 'Subcategory not found.' },
  topic_not_found: { status: 404, message: 'Topic not found.' },
  topic_request_not_found: { status: 404, message: 'Topic request not found.' },
  invite_not_found: { status: 404, message: 'Invitation not found or expired.' },
  reset_link_invalid: { status: 404, message: 'This password reset link is unknown, used or expired.' },
  signup_link_invalid: { status: 404, message: 'This sign-up link is unknown, used or expired.' },
  identity_not_found: { status: 404, message: 'Identity not found.' },
  link_not_found: { status: 404, message: 'Link not found.' },
  company_not_found: { status: 404, message: 'Company not found.' },
  lookup_invalid: {
    status: 400,
    message: 'Invalid input: neither hem nor email provided, a malformed hem, or a hem_type that does not match the hem.',
  },
  lookup_not_found: { status: 404, message: 'No record found for the given HEM.' },
  lookup_unsupported: { status: 501, message: 'Lookup is not available for the requested hem type.' },
  import_header_invalid: { status: 400, message: 'The first line of the import does not name valid columns.' },
  import_empty: { status: 400, message: 'The import is empty.' },
  import_not_found: { status: 404, message: 'Import not found.' },
  import_too_large: { status: 413, message: 'The import is larger than this server accepts.' },
  import_interrupted: { status: 400, message: 'The upload ended before the whole file was received.' },
  project_required: { status: 400, message: 'Project required.' },
  invalid_audience_id: { status: 400, message: 'Invalid audience ID.' },
  audience_not_found: { status: 404, message: 'Audience not found.' },
  audience_paused: { status: 409, message: 'Audience is already paused.' },
  audience_not_paused: { status: 409, message: 'Audience is not paused.' },
  audience_syncing: { status: 409, message: 'Audience is syncing its results; try again when it is done.' },
  org_inactive: { status: 409, message: 'This organization is inactive. Reactivate it first.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  email_taken: { status: 409, message: 'A user with this email already exists.' },
  already_member: { status: 409, message: 'This user is already a member of the organization.' },
  last_owner: { status: 409, message: 'An organization must keep at least one owner.' },
  key_revoked: { status: 409, message: 'This API key is revoked.' },
  topic_request_closed: { status: 409, message: 'This topic request has already been reviewed.' },
  project_inactive: { status: 409, message: 'This project is archived. Unarchive it first.' },
  demo_exists: { status: 409, message: 'This organization already has the demo project.' },
  payload_too_large: { status: 413, message: 'Request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Unsupported content type.' },
  rate_limited: { status: 429, message: 'Rate limit exceeded.' },
  too_many_attempts: { status: 429, message: 'Too many failed attempts. Try again later.' },
  too_many_queries: { status: 429, message: 'Too many queries of this organization are running; retry shortly.' },
  ingest_rate_limited: { status: 429, message: 'Too many events for this pixel or from this source; slow down.' },
  redirect_not_allowed: { status: 400, message: 'This redirect target is not registered for the pixel.' },
  request_cancelled: { status: 499, message: 'The client closed the request before it was answered.' },
  no_valid_events: { status: 400, message: 'No valid events in the request.' },
  internal: { status: 500, message: 'Internal server error.' },
  unavailable: { status: 503, message: 'Service unavailable.' },
  mail_failed: { status: 503, message: 'The email could not be sent.' },
  ingest_overloaded: { status: 503, message: 'Ingest is overloaded; retry shortly.' },
  query_timeout: { status: 503, message: 'The query took too long and was stopped.' },
  shutting_down: { status: 503, message: 'The server is shutting down; retry shortly.' },
  storage_full: { status: 507, message: 'The server has no storage space left; nothing was stored.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Error bodies on the wire: `{"error": message, "code"?: ..., "details"?: ...}`. */
export interface ErrorBody {
  error: string;
  code?: string;
  details?: string;
  [extra: string]: unknown;
}

/** Codes whose documented body is `{"error": ...}` alone (the seeds and docs show no `code`). */
const BARE: ReadonlySet<ErrorCode> = new Set([
  'invalid_api_key',
  'invalid_api_secret',
  'api_secret_required',
  // Delivr's audience 409s carry a code only when the organization or project is inactive.
  'audience_paused',
  'audience_not_paused',
  'audience_syncing',
]);

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(
    readonly code: ErrorCode,
    readonly details?: string,
    headers: Record<string, string> = {},
    /** Additional fields for the body, e.g. a batch's per-event rejections. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(ERRORS[code].message);
    this.status = ERRORS[code].status;
    this.headers = headers;
  }

  body(): ErrorBody {
    const body: ErrorBody = { error: this.message };
    if (!BARE.has(this.code)) body.code = this.code;
    if (this.details !== undefined) body.details = this.details;
    return { ...this.extra, ...body };
  }
}

export const fail = (code: ErrorCode, details?: string): ApiError => new ApiError(code, details);
