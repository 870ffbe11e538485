// Wire types of the session API (/dashboard/api), as src/dashboard/routes.ts and
// src/dashboard/events-routes.ts send them.

export type Role = 'owner' | 'admin' | 'member';

export interface User {
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
}

export interface OrganizationRef {
  organization_id: string;
  name: string;
  role: Role;
}

export interface Session {
  user: User;
  organizations: OrganizationRef[];
  csrf_token: string;
}

export interface ApiKey {
  key_id: string;
  name: string;
  key_prefix: string;
  status: string;
  secret_required: boolean;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  time: string;
  ip: string | null;
}

export interface Member {
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  joined_at: string;
}

export interface Invite {
  invite_id: string;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
}

export interface Project {
  project_id: string;
  name: string;
  status: string;
  /** `YYYY-MM-DD HH:MM:SS`, UTC (the Partner API's format). */
  created_at: string;
}

export interface Pixel {
  pixel_id: string;
  project_id: string;
  title: string;
  installation_url: string;
  status: string;
  created_at: string;
  snippet: string;
  first_event_at: string | null;
  trackers: string[];
  respect_privacy_signals: boolean;
}

export interface TrackerOption {
  name: string;
  label: string;
  events: string[];
  default: boolean;
}

/** GET /pixel-trackers: sizes[mask] is the gzipped script, bit i of mask = trackers[i]. */
export interface TrackerCatalog {
  trackers: TrackerOption[];
  sizes: number[];
}

export interface PartnerApp {
  app_id: string;
  name: string;
  client_id: string;
  status: string;
  created_at: string;
}

/** One stored event; the Events API's column names. */
export type EventRecord = Record<string, unknown> & { event_id: string; event_type: string; ts_millis: number | string };

export interface InvitePreview {
  organization_id: string;
  organization_name: string;
  email: string;
  role: Role;
  existing_user: boolean;
}
