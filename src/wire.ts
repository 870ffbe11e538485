// The wire types of every API body, built from the route schemas (src/<feature>/schemas.ts). The web
// app imports its types from here (web/src/lib/types.ts), so a server change that breaks the web
// app's reading of a response fails `tsc -p web`. Type-only: importing it pulls in no server code.
export type { ForgotResult, SignupPending, SignupStatus } from './accounts/schemas.js';
export type { AccessLogBody, AccessLogEntry, ApiKey, ApiKeyCreatedBody, ApiKeyListBody, ApiKeyRotatedBody } from './api-keys/schemas.js';
export type { AppCreatedBody, AppListBody, AppRotatedBody, PartnerApp } from './apps/schemas.js';
export type {
  AudienceBodyOut,
  AudienceContact,
  AudienceCreateInput,
  AudienceFilterInput,
  AudienceListBody,
  AudiencePatchInput,
  AudiencePreviewBody,
  AudienceSampleBody,
  AudienceView,
} from './audiences/schemas.js';
export type { DemoLoadedOut } from './demo/schemas.js';
export type { EventCounts, EventRecord, EventsPage, RecentEventsPage } from './events/schemas.js';
export type { CatalogFieldWire, FieldCatalogBody } from './field-catalog/schemas.js';
export type {
  DashboardPeople,
  DashboardPerson,
  ErasedBody,
  PersonLink,
  PersonRow,
  ProfileField,
  UnlinkedBody,
} from './identity/schemas.js';
export type { IdentityImportList, IdentityImportView, ImportAcceptedBody } from './identity-import/schemas.js';
export type { IntentBody, IntentExplanation, IntentTopicScore, PersonIntentBody, SurgingTopicsBody } from './intent/schemas.js';
export type { Invite, InviteAccepted, InviteBodyOut, InvitePreview, Member, MembersList } from './members/schemas.js';
export type { ApiKeySettings } from './organizations/schemas.js';
export type {
  DashboardPixel,
  DashboardPixelListBody,
  Pixel,
  PixelBodyOut,
  PixelStatus,
  TrackerCatalog,
  TrackerOption,
} from './pixels/schemas.js';
export type { Project, ProjectBodyOut, ProjectCreateInput, ProjectListBody, ProjectUpdateInput } from './projects/schemas.js';
export type { OrganizationRef, Role, Session, User } from './sessions/schemas.js';
export type { Metric, Period, StatsAggregate, StatsBreakdown, StatsBreakdownRow, StatsRange, StatsTimeseries } from './stats/schemas.js';
export type {
  DashboardCategoriesBody,
  DashboardTopicRequestBody,
  DashboardTopicRequestsBody,
  DashboardTopicsBody,
  TaxonomyCategory,
  TaxonomyTopic,
  TopicRequest,
  TopicRequestInputBody,
} from './taxonomy/schemas.js';
