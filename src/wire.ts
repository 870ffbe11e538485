// The wire types of every API body, built from the route schemas (src/<feature>/schemas.ts). The web
// app imports its types from here (web/src/lib/types.ts), so a server change that breaks the web
// app's reading of a response fails `tsc -p web`. Type-only: importing it pulls in no server code.
export type { ForgotResult, SignupStatus } from './accounts/schemas.js';
export type { AccessLogBody, AccessLogEntry, ApiKey, ApiKeyCreatedBody, ApiKeyListBody, ApiKeyRotatedBody } from './api-keys/schemas.js';
export type { AppCreatedBody, AppListBody, PartnerApp } from './apps/schemas.js';
export type { EventCounts, EventRecord, EventsPage, RecentEventsPage } from './events/schemas.js';
export type { Invite, InviteAccepted, InviteBodyOut, InvitePreview, Member, MembersList } from './members/schemas.js';
export type {
  DashboardPixel,
  DashboardPixelListBody,
  Pixel,
  PixelBodyOut,
  PixelStatus,
  TrackerCatalog,
  TrackerOption,
} from './pixels/schemas.js';
export type { Project, ProjectBodyOut, ProjectListBody } from './projects/schemas.js';
export type { OrganizationRef, Role, Session, User } from './sessions/schemas.js';
export type { Metric, Period, StatsAggregate, StatsBreakdown, StatsBreakdownRow, StatsRange, StatsTimeseries } from './stats/schemas.js';
