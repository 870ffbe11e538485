// Wire schemas of dashboard sessions: who is signed in, their organizations and the CSRF token.
// Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';
import { PASSWORD_MAX_LENGTH } from '../accounts/schemas.js';
import { NullableString } from '../platform/schemas.js';

export const RoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);

export const UserOut = Type.Object({
  user_id: Type.String(),
  email: Type.String(),
  first_name: NullableString,
  last_name: NullableString,
});

export const OrganizationRefOut = Type.Object({ organization_id: Type.String(), name: Type.String(), role: RoleSchema });

export const SessionOut = Type.Object({
  user: UserOut,
  organizations: Type.Array(OrganizationRefOut),
  csrf_token: Type.String(),
});

export const SignInBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
});

export type Role = Static<typeof RoleSchema>;
export type User = Static<typeof UserOut>;
export type OrganizationRef = Static<typeof OrganizationRefOut>;
export type Session = Static<typeof SessionOut>;
