// Wire schemas of organization API keys (dashboard). Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';
import { NameField, NullableString } from '../platform/schemas.js';

export const ApiKeyOut = Type.Object({
  key_id: Type.String(),
  name: Type.String(),
  key_prefix: Type.String(),
  status: Type.String(),
  secret_required: Type.Boolean(),
  created_at: Type.String(),
  last_used_at: NullableString,
  revoked_at: NullableString,
});

export const ApiKeyBody = Type.Object({ name: NameField });
export const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeyOut) });
export const ApiKeyEnvelope = Type.Object({ key: ApiKeyOut });
/** The only response that carries the key and secret in plaintext. */
export const ApiKeyCreated = Type.Object({ key: ApiKeyOut, api_key: Type.String(), api_secret: Type.String() });
export const ApiKeyRotated = Type.Object({ key: ApiKeyOut, api_secret: Type.String() });

export const AccessLogEntryOut = Type.Object({
  method: Type.String(),
  path: Type.String(),
  status: Type.Integer(),
  /** The latest request of this key, method, path and status in its minute. */
  time: Type.String(),
  ip: NullableString,
  /** How many requests this entry stands for (same key, method, path and status within one minute). */
  count: Type.Integer({ minimum: 1 }),
});
export const AccessLogQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) });
export const AccessLogOut = Type.Object({ entries: Type.Array(AccessLogEntryOut) });

export type ApiKey = Static<typeof ApiKeyOut>;
export type AccessLogEntry = Static<typeof AccessLogEntryOut>;
export type ApiKeyListBody = Static<typeof ApiKeyList>;
export type ApiKeyCreatedBody = Static<typeof ApiKeyCreated>;
export type ApiKeyRotatedBody = Static<typeof ApiKeyRotated>;
export type AccessLogBody = Static<typeof AccessLogOut>;
