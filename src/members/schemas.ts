// Wire schemas of members and invitations (dashboard and operator API). Pure TypeBox, so the web
// app imports the types.
import { type Static, Type } from 'typebox';
import { NullableString } from '../platform/schemas.js';
import { RoleSchema, SessionOut } from '../sessions/schemas.js';

const Token = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ minLength: 3, maxLength: 320 });

export const InviteOut = Type.Object({
  invite_id: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  created_at: Type.String(),
  expires_at: Type.String(),
});

export const MemberOut = Type.Object({
  user_id: Type.String(),
  email: Type.String(),
  first_name: NullableString,
  last_name: NullableString,
  role: RoleSchema,
  joined_at: Type.String(),
});

export const MembersOut = Type.Object({ your_role: RoleSchema, members: Type.Array(MemberOut), invites: Type.Array(InviteOut) });
export const InviteBody = Type.Object({ email: Email, role: RoleSchema });
export const InviteEnvelope = Type.Object({ invite: InviteOut });
export const RoleBody = Type.Object({ role: RoleSchema });

export const InvitePreviewBody = Type.Object({ token: Token });
export const InvitePreviewOut = Type.Object({
  organization_id: Type.String(),
  organization_name: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  existing_user: Type.Boolean(),
});
export const InviteAcceptBody = Type.Object({
  token: Token,
  first_name: Type.Optional(Type.String({ maxLength: 200 })),
  last_name: Type.Optional(Type.String({ maxLength: 200 })),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});
export const InviteAcceptOut = Type.Object({ ...SessionOut.properties, organization_id: Type.String() });

/** The operator's view of an invitation. */
export const AdminInviteOut = Type.Object({
  invite_id: Type.String(),
  email: Type.String(),
  role: Type.String(),
  expires_at: Type.String(),
});
export const ResendBody = Type.Object({ email: Email });

export type Invite = Static<typeof InviteOut>;
export type Member = Static<typeof MemberOut>;
export type MembersList = Static<typeof MembersOut>;
export type InvitePreview = Static<typeof InvitePreviewOut>;
export type InviteBodyOut = Static<typeof InviteEnvelope>;
export type InviteAccepted = Static<typeof InviteAcceptOut>;
