// The web app's wire types: the server's own, built from its route schemas (src/wire.ts). Nothing
// here is written by hand, so a server change the app cannot read fails `tsc -p web`.
import type { EventCounts } from '../../../src/wire.js';

export type {
  AccessLogBody,
  AccessLogEntry,
  ApiKey,
  ApiKeyCreatedBody,
  ApiKeyListBody,
  ApiKeyRotatedBody,
  AppCreatedBody,
  AppListBody,
  DashboardPixel as Pixel,
  DashboardPixelListBody,
  EventCounts,
  EventRecord,
  ForgotResult,
  Invite,
  InviteAccepted,
  InviteBodyOut,
  InvitePreview,
  Member,
  MembersList,
  Metric,
  OrganizationRef,
  PartnerApp,
  Period,
  PixelBodyOut,
  PixelStatus,
  Project,
  ProjectBodyOut,
  ProjectListBody,
  RecentEventsPage,
  Role,
  Session,
  SignupStatus,
  StatsAggregate,
  StatsBreakdown,
  StatsBreakdownRow,
  StatsRange,
  StatsTimeseries,
  TrackerCatalog,
  TrackerOption,
  User,
} from '../../../src/wire.js';

/** One bar of an event-count chart. */
export type Bucket = NonNullable<EventCounts['buckets']>[number];
