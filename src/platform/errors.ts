// The one error catalogue: every error the HTTP API can return, with its status and exact body.
// Delivr's documented strings ("Invalid API key", "User not found.", ...) live here verbatim, and
// docs/errors.md is checked against this list by a test.

/** Every error code: [HTTP status, message]. */
// biome-ignore format: a table, one error a line
const CATALOGUE = {
  invalid_parameters: [400, 'Invalid parameters.'],
  invalid_json: [400, 'Request body is not valid JSON.'],
  missing_auth: [401, 'Missing or invalid authentication.'],
  invalid_api_key: [401, 'Invalid API key'],
  invalid_api_secret: [401, 'Invalid API secret'],
  api_secret_required: [401, 'API secret is required'],
  invalid_token: [401, 'Invalid or expired token.'],
  wrong_token_type: [401, 'This token is not valid for this API.'],
  invalid_credentials: [401, 'Invalid credentials.'],
  missing_client_credentials: [401, 'X-Delivr-Client-ID and X-Delivr-Client-Secret headers are required.'],
  invalid_client_credentials: [401, 'Invalid client credentials.'],
  session_required: [401, 'Sign in required.'],
  admin_token_required: [401, 'A valid admin token is required.'],
  metrics_token_required: [401, 'A valid metrics token is required.'],
  forbidden: [403, 'Forbidden.'],
  csrf_failed: [403, 'Missing or invalid CSRF token.'],
  signup_closed: [403, 'Sign-up is closed. Ask your Delivr contact or an organization owner for an invitation.'],
  client_app_mismatch: [403, 'These app credentials belong to another user.'],
  admin_disabled: [404, 'Not found.'],
  not_found: [404, 'Not found.'],
  user_not_found: [404, 'User not found.'],
  organization_not_found: [404, 'Organization not found.'],
  project_not_found: [404, 'Project not found.'],
  pixel_not_found: [404, 'Pixel not found.'],
  client_not_found: [404, 'API client not found.'],
  key_not_found: [404, 'API key not found.'],
  app_not_found: [404, 'App not found.'],
  member_not_found: [404, 'Member not found.'],
  category_not_found: [404, 'Category not found.'],
  subcategory_not_found: [404, 'Subcategory not found.'],
  topic_not_found: [404, 'Topic not found.'],
  topic_request_not_found: [404, 'Topic request not found.'],
  invite_not_found: [404, 'Invitation not found or expired.'],
  reset_link_invalid: [404, 'This password reset link is unknown, used or expired.'],
  signup_link_invalid: [404, 'This sign-up link is unknown, used or expired.'],
  identity_not_found: [404, 'Identity not found.'],
  link_not_found: [404, 'Link not found.'],
  company_not_found: [404, 'Company not found.'],
  lookup_invalid: [400, 'Invalid input: neither hem nor email provided, a malformed hem, or a hem_type that does not match the hem.'],
  lookup_not_found: [404, 'No record found for the given HEM.'],
  lookup_unsupported: [501, 'Lookup is not available for the requested hem type.'],
  import_header_invalid: [400, 'The first line of the import does not name valid columns.'],
  import_empty: [400, 'The import is empty.'],
  import_not_found: [404, 'Import not found.'],
  import_too_large: [413, 'The import is larger than this server accepts.'],
  import_interrupted: [400, 'The upload ended before the whole file was received.'],
  project_required: [400, 'Project required.'],
  invalid_audience_id: [400, 'Invalid audience ID.'],
  audience_not_found: [404, 'Audience not found.'],
  audience_paused: [409, 'Audience is already paused.'],
  audience_not_paused: [409, 'Audience is not paused.'],
  audience_syncing: [409, 'Audience is syncing its results; try again when it is done.'],
  org_inactive: [409, 'This organization is inactive. Reactivate it first.'],
  method_not_allowed: [405, 'Method not allowed.'],
  email_taken: [409, 'A user with this email already exists.'],
  already_member: [409, 'This user is already a member of the organization.'],
  last_owner: [409, 'An organization must keep at least one owner.'],
  key_revoked: [409, 'This API key is revoked.'],
  topic_request_closed: [409, 'This topic request has already been reviewed.'],
  project_inactive: [409, 'This project is archived. Unarchive it first.'],
  demo_exists: [409, 'This organization already has the demo project.'],
  payload_too_large: [413, 'Request body is too large.'],
  unsupported_media_type: [415, 'Unsupported content type.'],
  rate_limited: [429, 'Rate limit exceeded.'],
  too_many_attempts: [429, 'Too many failed attempts. Try again later.'],
  too_many_queries: [429, 'Too many queries of this organization are running; retry shortly.'],
  ingest_rate_limited: [429, 'Too many events for this pixel or from this source; slow down.'],
  redirect_not_allowed: [400, 'This redirect target is not registered for the pixel.'],
  request_cancelled: [499, 'The client closed the request before it was answered.'],
  no_valid_events: [400, 'No valid events in the request.'],
  internal: [500, 'Internal server error.'],
  unavailable: [503, 'Service unavailable.'],
  mail_failed: [503, 'The email could not be sent.'],
  ingest_overloaded: [503, 'Ingest is overloaded; retry shortly.'],
  query_timeout: [503, 'The query took too long and was stopped.'],
  shutting_down: [503, 'The server is shutting down; retry shortly.'],
  storage_full: [507, 'The server has no storage space left; nothing was stored.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof CATALOGUE;

/** The catalogue by code: each error's status and message. */
export const ERRORS = Object.fromEntries(
  Object.entries(CATALOGUE).map(([code, [status, message]]) => [code, { status, message }]),
) as Record<ErrorCode, { status: number; message: string }>;

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
