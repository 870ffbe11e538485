// Wire schemas of projects (Partner API and dashboard). Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';
import { NameField, wrap } from '../platform/schemas.js';

export const ProjectOut = Type.Object({
  project_id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  /** `YYYY-MM-DD HH:MM:SS`, UTC (the Partner API's format). */
  created_at: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
});

export const ProjectBody = Type.Object({ name: NameField });

export const PartnerProjectCreateBody = Type.Object({
  project: Type.Object({ name: NameField, email: Type.Optional(Type.String({ maxLength: 320 })) }),
});
export const PartnerProjectCreated = wrap({ project_id: Type.String() });
export const PartnerProjects = wrap({ projects: Type.Array(ProjectOut) });

export const ProjectEnvelope = Type.Object({ project: ProjectOut });
export const ProjectList = Type.Object({ projects: Type.Array(ProjectOut) });

export type Project = Static<typeof ProjectOut>;
export type ProjectListBody = Static<typeof ProjectList>;
export type ProjectBodyOut = Static<typeof ProjectEnvelope>;
