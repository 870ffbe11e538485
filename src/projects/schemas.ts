// Wire schemas of projects (Partner API and dashboard). Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';
import { Id, NameField, wrap } from '../platform/schemas.js';

/** Allowed retention periods, in days (ten years at most). */
export const RETENTION_DAYS = { min: 1, max: 3650 } as const;

/** Days of events to keep; null keeps them forever. */
export const RetentionDays = Type.Union([Type.Integer({ minimum: RETENTION_DAYS.min, maximum: RETENTION_DAYS.max }), Type.Null()], {
  description: `Days of events to keep (${RETENTION_DAYS.min}-${RETENTION_DAYS.max}); older events are deleted on a schedule. null keeps them forever.`,
});

export const ProjectStatus = Type.Union([Type.Literal('active'), Type.Literal('archived')], {
  description: "archived: data and settings kept, its pixels' scripts and ingest answer 404 until unarchived",
});

export const ProjectOut = Type.Object({
  project_id: Type.String(),
  name: Type.String(),
  status: ProjectStatus,
  time_zone: Type.String({ description: "IANA time zone the project's stats count days in" }),
  /** `YYYY-MM-DD HH:MM:SS`, UTC (the Partner API's format). */
  created_at: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
  retention_days: RetentionDays,
});

const TimeZoneField = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone name, e.g. UTC or Europe/Berlin' });

/** Dashboard create: a name, and optionally a time zone (default UTC) and a retention period (none: keep forever). */
export const ProjectBody = Type.Object({
  name: NameField,
  time_zone: Type.Optional(TimeZoneField),
  retention_days: Type.Optional(RetentionDays),
});
/** Dashboard update: the fields to change, at least one; `retention_days: null` means keep forever. */
export const ProjectUpdateBody = Type.Object(
  { name: Type.Optional(NameField), time_zone: Type.Optional(TimeZoneField), retention_days: Type.Optional(RetentionDays) },
  { minProperties: 1 },
);

export const PartnerProjectCreateBody = Type.Object({
  project: Type.Object({
    name: NameField,
    email: Type.Optional(Type.String({ maxLength: 320 })),
    time_zone: Type.Optional(TimeZoneField),
    retention_days: Type.Optional(RetentionDays),
  }),
});
export const PartnerProjectCreated = wrap({ project_id: Type.String() });
export const PartnerProjects = wrap({ projects: Type.Array(ProjectOut) });
export const PartnerProjectUpdateBody = Type.Object({
  project_id: Id,
  name: Type.Optional(NameField),
  time_zone: Type.Optional(TimeZoneField),
  retention_days: Type.Optional(RetentionDays),
});
export const PartnerProjectRef = Type.Object({ project_id: Id });
export const PartnerProjectOut = wrap({ project: ProjectOut });

export const ProjectEnvelope = Type.Object({ project: ProjectOut });
export const ProjectList = Type.Object({ projects: Type.Array(ProjectOut) });

export type Project = Static<typeof ProjectOut>;
export type ProjectListBody = Static<typeof ProjectList>;
export type ProjectBodyOut = Static<typeof ProjectEnvelope>;
export type ProjectCreateInput = Static<typeof ProjectBody>;
export type ProjectUpdateInput = Static<typeof ProjectUpdateBody>;
