// Wire schemas of identity imports as the dashboard's Import page reads them: the contract agreed
// with the import routes (`POST /dashboard/api/orgs/{org_id}/identities/import` → 202
// ImportAccepted; `GET .../identities/imports` → ImportList; `GET .../identities/imports/{import_id}`
// → ImportStatus, the same shapes as `/api/v1/identities/import*`). The routes that serve them own
// these schemas once they land; until then they live here so the web app reads typed bodies.
import { type Static, Type } from 'typebox';

export const ImportState = Type.Union([Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')]);

export const ImportAcceptedOut = Type.Object({ import_id: Type.String(), status: ImportState });

export const ImportOut = Type.Object({
  import_id: Type.String(),
  status: ImportState,
  rows_read: Type.Integer(),
  rows_imported: Type.Integer(),
  rows_rejected: Type.Integer(),
  /** The first 100 rejected rows: line number in the file (the header is line 1) and why. */
  errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
});

export const ImportListOut = Type.Object({ imports: Type.Array(ImportOut) });

export type ImportAccepted = Static<typeof ImportAcceptedOut>;
export type ImportStatus = Static<typeof ImportOut>;
export type ImportList = Static<typeof ImportListOut>;
