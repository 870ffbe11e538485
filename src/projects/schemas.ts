// Wire schemas of projects (Partner API and dashboard). Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';
import { NameField, wrap } from '../platform/schemas.js';

export const ProjectOut = Type.Object({
  project_id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  time_zone: Type.String({ description: "IANA time zone the project's stats count days in" }),
  /** `YYYY-MM-DD HH:MM:SS`, UTC (the Partner API's format). */
  created_at: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
});

const TimeZoneField = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone name, e.g. UTC or Europe/Berlin' });

export const ProjectBody = Type.Object({ name: NameField, time_zone: Type.Optional(TimeZoneField) });
export const ProjectUpdateBody = Type.Object(
  { name: Type.Optional(NameField), time_zone: Type.Optional(TimeZoneField) },
  { minProperties: 1 },
);

export const PartnerProjectCreateBody = Type.Object({
  project: Type.Object({
    name: NameField,
    email: Type.Optional(Type.String({ maxLength: 320 })),
    time_zone: Type.Optional(TimeZoneField),
  }),
});
export const PartnerProjectCreated = wrap({ project_id: Type.String() });
export const PartnerProjects = wrap({ projects: Type.Array(ProjectOut) });

export const ProjectEnvelope = Type.Object({ project: ProjectOut });
export const ProjectList = Type.Object({ projects: Type.Array(ProjectOut) });

export type Project = Static<typeof ProjectOut>;
export type ProjectListBody = Static<typeof ProjectList>;
export type ProjectBodyOut = Static<typeof ProjectEnvelope>;
