// Wire schemas of apps (Partner API credentials): Partner API and dashboard. Pure TypeBox, so the web
// app imports the types.
import { type Static, Type } from 'typebox';
import { NameField, wrap } from '../platform/schemas.js';

export const AppBody = Type.Object({ name: NameField });

export const PartnerAppCreated = wrap({ app_id: Type.String(), client_id: Type.String(), client_secret: Type.String() });
/** Rotation answers as creation does: the same client id with its new secret, shown only here. */
export const PartnerAppRotated = PartnerAppCreated;
export const PartnerAppOut = Type.Object({
  app_id: Type.String(),
  created_by_user: Type.Object({ user_id: Type.String(), first_name: Type.String(), last_name: Type.String(), email: Type.String() }),
  secret: Type.Object({ client_id: Type.String(), client_secret: Type.String() }),
  name: Type.String(),
  status: Type.String(),
  updated_at: Type.String(),
  created_at: Type.String(),
});
export const PartnerAppRetrieved = wrap({ app: PartnerAppOut });

export const DashboardAppOut = Type.Object({
  app_id: Type.String(),
  name: Type.String(),
  client_id: Type.String(),
  status: Type.String(),
  created_at: Type.String(),
});
export const DashboardAppList = Type.Object({ apps: Type.Array(DashboardAppOut) });
/** The dashboard responses that carry the client secret in plaintext: creation and rotation. */
export const DashboardAppCreated = Type.Object({ app: DashboardAppOut, client_id: Type.String(), client_secret: Type.String() });
export const DashboardAppRotated = DashboardAppCreated;

export type PartnerApp = Static<typeof DashboardAppOut>;
export type AppListBody = Static<typeof DashboardAppList>;
export type AppCreatedBody = Static<typeof DashboardAppCreated>;
export type AppRotatedBody = Static<typeof DashboardAppRotated>;
