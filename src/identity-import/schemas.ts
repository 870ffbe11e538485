// Wire schemas of identity imports: the upload's answer, an import's status and the dashboard's list.
// Pure TypeBox, so the web app imports the types (src/wire.ts).
import { type Static, Type } from 'typebox';

const Status = Type.Union([Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')]);

/** The upload body: CSV or NDJSON, read as a stream (documented here; the route reads the raw stream). */
export const ImportBody = Type.String({
  description:
    'text/csv: a header row of column names (identity field keys, email, hem_sha256, hem_md5, hem_sha1, visitor_id), then one row per person. ' +
    'application/x-ndjson: one JSON object per line with the same keys. Streamed; see docs/identity.md#import.',
});

export const ImportAccepted = Type.Object({
  import_id: Type.String(),
  status: Status,
});

export const ImportRowError = Type.Object({
  line: Type.Integer({ description: 'Line of the file (1 = the CSV header or the first NDJSON line)' }),
  reason: Type.String(),
});

export const ImportOut = Type.Object({
  import_id: Type.String(),
  status: Status,
  format: Type.Union([Type.Literal('csv'), Type.Literal('ndjson')]),
  rows_read: Type.Integer(),
  rows_imported: Type.Integer(),
  rows_rejected: Type.Integer(),
  errors: Type.Array(ImportRowError, { description: 'The first 100 rejected rows' }),
  bytes_total: Type.Integer({ description: 'Size of the upload' }),
  bytes_read: Type.Integer({ description: 'How much of it has been processed: bytes_read / bytes_total is the progress' }),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  failure: Type.Union([Type.String(), Type.Null()], { description: 'Why a failed import stopped' }),
});

export const ImportList = Type.Object({ imports: Type.Array(ImportOut) });

export const ImportParams = Type.Object({ import_id: Type.String({ minLength: 1, maxLength: 100 }) });
export const OrgImportParams = Type.Object({
  org_id: Type.String({ minLength: 1, maxLength: 100 }),
  import_id: Type.String({ minLength: 1, maxLength: 100 }),
});
export const ImportListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });

export type ImportAcceptedBody = Static<typeof ImportAccepted>;
export type IdentityImportView = Static<typeof ImportOut>;
export type IdentityImportList = Static<typeof ImportList>;
