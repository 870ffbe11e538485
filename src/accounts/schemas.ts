// Wire schemas of accounts: data-API login and registration, the platform token, dashboard sign-up
// and password reset. Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';

/** The longest password accepted anywhere (scrypt input). */
export const PASSWORD_MAX_LENGTH = 256;

const Email = Type.String({ minLength: 1, maxLength: 320 });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const PersonName = Type.String({ minLength: 1, maxLength: 200 });

export const Credentials = Type.Object({ email: Email, password: Password });

export const RegisterBody = Type.Object({
  email: Email,
  password: Password,
  first_name: PersonName,
  last_name: PersonName,
  organization_name: PersonName,
});

export const LoginOut = Type.Object({ user_id: Type.String(), organization_id: Type.String(), token: Type.String() });
export const RegisterOut = Type.Object({ message: Type.String(), user_id: Type.String(), organization_id: Type.String() });
export const PlatformTokenOut = Type.Object({ response: Type.Object({ user_id: Type.String(), token: Type.String() }) });

export const SignupStatusOut = Type.Object({ open: Type.Boolean() });
/** Registration with LOGIN_HIDE_UNKNOWN_USERS=true: the same answer for every address; the email finishes it. */
export const SignupPendingOut = Type.Object({ message: Type.String() });
export const SignupConfirmBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
export const ForgotBody = Type.Object({ email: Email });
export const ForgotOut = Type.Object({ message: Type.String() });
export const ResetBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password });

export type RegisterInput = Static<typeof RegisterBody>;
export type SignupStatus = Static<typeof SignupStatusOut>;
export type SignupPending = Static<typeof SignupPendingOut>;
export type ForgotResult = Static<typeof ForgotOut>;
