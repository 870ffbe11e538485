// Wire schemas of legacy API clients (/client/v1), as spec section 1.5 gives them.
import { Type } from 'typebox';
import { NameField } from '../platform/schemas.js';

export const KeySummary = Type.Object({
  key_id: Type.String(),
  key_prefix: Type.String(),
  status: Type.String(),
  created_at: Type.String(),
});
export const ClientBody = Type.Object({ name: NameField });
export const ClientCreated = Type.Object({
  client_id: Type.String(),
  api_key: Type.String(),
  api_secret: Type.String(),
  created_at: Type.String(),
});
export const ClientList = Type.Object({
  clients: Type.Array(
    Type.Object({
      client_id: Type.String(),
      name: Type.String(),
      status: Type.String(),
      api_keys: Type.Array(KeySummary),
      created_at: Type.String(),
    }),
  ),
  total: Type.Integer(),
});
export const ClientDeleted = Type.Object({ message: Type.String() });
