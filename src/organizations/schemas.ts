// Wire schemas of organizations (Partner API and operator API). Pure TypeBox, so the web app
// imports the types.
import { type Static, Type } from 'typebox';
import { AdminInviteOut } from '../members/schemas.js';
import { NameField, wrap } from '../platform/schemas.js';

export const PartnerOrganizations = wrap({
  organizations: Type.Array(
    Type.Object({
      organization_id: Type.String(),
      name: Type.String(),
      status: Type.String(),
      role: Type.String(),
      created_at: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
    }),
  ),
});
export const OrganizationBody = Type.Object({ name: NameField });
export const PartnerOrganizationCreated = wrap({
  organization: Type.Object({ organization_id: Type.String(), project_id: Type.String() }),
});

export const AdminOrganizationOut = Type.Object({
  organization_id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  created_at: Type.String(),
});
export const AdminCreateBody = Type.Object({
  name: NameField,
  owner_email: Type.String({ minLength: 3, maxLength: 320 }),
});
export const AdminCreated = Type.Object({ organization: AdminOrganizationOut, invite: AdminInviteOut });
export const AdminOrganizations = Type.Object({ organizations: Type.Array(AdminOrganizationOut), total: Type.Integer() });

/** The organization's API key policy (dashboard, Settings > API keys). */
export const ApiKeySettingsOut = Type.Object({
  secret_required: Type.Boolean({
    description: 'true (the default): a request with an API key must send its X-Api-Secret. false: the key alone is accepted.',
  }),
});
export const ApiKeySettingsBody = Type.Object({ secret_required: Type.Boolean() });
export type ApiKeySettings = Static<typeof ApiKeySettingsOut>;
