// /{org_id}/people/import: upload a list of people (a CRM export, a purchased list) as CSV or
// NDJSON, watch it being read, and see which rows were rejected and why. The server answers as soon
// as the file is received and imports in the background; this page polls the import while it is
// processing. Rows with a visitor_id also link that visitor to the person.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ErrorMessage, Field, Loading, Notice, PageHeader } from '../components/ui';
import { api, errorText, upload } from '../lib/api';
import { formatDateSeconds } from '../lib/format';
import { useResource } from '../lib/hooks';
import { canManageKeys } from '../lib/permissions';
import { Link } from '../lib/router';
import type { ImportAccepted, ImportList, ImportStatus, OrganizationRef } from '../lib/types';

const POLL_MS = 1000;
const STATUS_LABEL: Record<ImportStatus['status'], string> = { processing: 'Importing', completed: 'Completed', failed: 'Failed' };
const SAMPLE = `email,first_name,last_name,company_name,job_title,visitor_id
ann@acme.example,Ann,Lee,Acme,CTO,
bo@globex.example,Bo,Chan,Globex,Head of Sales,5f0c2d0e8a9b4c7d9e1f2a3b4c5d6e7f`;

/** The body's content type: NDJSON for .ndjson/.jsonl files or a first line that is a JSON object, else CSV. */
async function contentTypeOf(file: File): Promise<string> {
  if (/\.(ndjson|jsonl)$/i.test(file.name)) return 'application/x-ndjson';
  if (/\.csv$/i.test(file.name)) return 'text/csv';
  const head = await file.slice(0, 64).text();
  return head.trimStart().startsWith('{') ? 'application/x-ndjson' : 'text/csv';
}

/** Data rows in the file (lines, less a CSV's header), read as a stream so a large file is never held whole. */
async function countRows(file: File, csv: boolean): Promise<number> {
  const reader = file.stream().getReader();
  let lines = 0;
  let last = 10;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    for (const byte of value) if (byte === 10) lines++;
    last = value[value.length - 1] ?? last;
  }
  if (last !== 10 && file.size > 0) lines++;
  return Math.max(0, lines - (csv ? 1 : 0));
}

export function ImportPeoplePage({ org }: { org: OrganizationRef }) {
  const orgPath = `/${org.organization_id}`;
  const base = `/orgs/${org.organization_id}/identities`;
  const list = useResource(() => api<ImportList>('GET', `${base}/imports`), [base]);
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Rows counted in each file uploaded from this page, by import id: the progress bar's end. */
  const [expected, setExpected] = useState<Record<string, number>>({});
  const input = useRef<HTMLInputElement>(null);
  const manage = canManageKeys(org.role);
  const imports = list.data?.imports ?? [];
  const processing = imports.some((i) => i.status === 'processing');

  // Polls while any import is still being read, one request at a time: each finished load (an
  // answer or a failure) arms the next; it stops once every import is completed or failed.
  const { reload, loading } = list;
  useEffect(() => {
    if (!processing || loading) return;
    const t = setTimeout(() => void reload(), POLL_MS);
    return () => clearTimeout(t);
  }, [processing, loading, reload]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) {
      setError('Choose a CSV or NDJSON file to import.');
      return;
    }
    setError(null);
    setSent(0);
    try {
      const type = await contentTypeOf(file);
      const [accepted, rows] = await Promise.all([
        upload<ImportAccepted>(`${base}/import`, file, type, setSent),
        countRows(file, type === 'text/csv'),
      ]);
      setExpected((m) => ({ ...m, [accepted.import_id]: rows }));
      setFile(null);
      if (input.current) input.current.value = '';
      await list.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSent(null);
    }
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to={`${orgPath}/people`}>People</Link>
          </li>
          <li aria-current="page">Import</li>
        </ol>
      </nav>
      <PageHeader
        title="Import people"
        description="Add what you know about people (from a CRM export or a list you bought): their names, companies and titles appear on every event of the visitors linked to them."
      />
      {manage ? (
        <form className="card import-form" onSubmit={submit} aria-label="Upload a file">
          <Field
            label="File (CSV or NDJSON)"
            hint="A CSV file with a header row, or NDJSON (one JSON object per line). It is imported in the background; you can leave this page."
          >
            {(p) => (
              <input
                {...p}
                ref={input}
                type="file"
                accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson"
                onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              />
            )}
          </Field>
          <ErrorMessage>{error}</ErrorMessage>
          {sent !== null ? (
            <div className="progress-row">
              <label htmlFor="upload-progress">Uploading {file?.name}</label>
              <progress id="upload-progress" max={1} value={sent} />
              <span>{Math.round(sent * 100)}%</span>
            </div>
          ) : null}
          <button type="submit" className="button-primary" disabled={sent !== null}>
            {sent !== null ? 'Uploading…' : 'Upload and import'}
          </button>
          <details className="format">
            <summary>What the file looks like</summary>
            <p>
              A header row of field keys, then one person per row. <code>email</code> is required (any case, surrounding spaces are fine: it
              is normalised and hashed); <code>visitor_id</code> is optional and links that visitor (the <code>_dlvr_v</code> cookie) to the
              person. Other columns are identity fields such as <code>first_name</code>, <code>last_name</code>, <code>job_title</code>,{' '}
              <code>company_name</code>, <code>company_domain</code>: an unknown column stops the import before anything is stored. NDJSON
              takes one JSON object per line with the same keys.
            </p>
            <pre className="snippet">
              <code>{SAMPLE}</code>
            </pre>
            <p>
              Importing the same file again changes nothing. A later non-empty value replaces an earlier one; an empty cell never erases.
            </p>
          </details>
        </form>
      ) : (
        <Notice>Only owners and admins can import people. You can follow the imports below.</Notice>
      )}

      <section className="section" aria-labelledby="imports-title">
        <h2 id="imports-title">Imports</h2>
        <ErrorMessage>{list.error}</ErrorMessage>
        {list.loading && !list.data ? (
          <Loading label="Loading imports…" />
        ) : list.data && imports.length === 0 ? (
          <p className="muted">Nothing imported yet.</p>
        ) : (
          <ol className="imports">
            {imports.map((i) => (
              <ImportCard key={i.import_id} item={i} expected={expected[i.import_id]} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function ImportCard({ item, expected }: { item: ImportStatus; expected: number | undefined }) {
  const label = `Import of ${formatDateSeconds(item.created_at)}`;
  const done = item.status !== 'processing';
  return (
    <li className="card import-card" aria-label={label}>
      <div className="card-head">
        <h3>{label}</h3>
        <span className={`badge badge-${item.status === 'completed' ? 'good' : item.status === 'failed' ? 'bad' : 'wait'}`}>
          {STATUS_LABEL[item.status]}
        </span>
      </div>
      {item.status === 'failed' ? (
        <p>
          The import stopped after {item.rows_read.toLocaleString()} row{item.rows_read === 1 ? '' : 's'}.
          {item.errors.length > 0 ? ' The reasons are listed below.' : ''}
        </p>
      ) : (
        <div className="progress-row">
          <label htmlFor={`progress-${item.import_id}`}>Rows read</label>
          {done ? (
            <progress id={`progress-${item.import_id}`} max={1} value={1} />
          ) : expected !== undefined && expected > 0 ? (
            <progress id={`progress-${item.import_id}`} max={expected} value={Math.min(item.rows_read, expected)} />
          ) : (
            <progress id={`progress-${item.import_id}`} />
          )}
          <span>
            {item.rows_read.toLocaleString()}
            {!done && expected !== undefined ? ` of ${expected.toLocaleString()}` : ''}
          </span>
        </div>
      )}
      <dl className="facts">
        <div>
          <dt>Imported</dt>
          <dd>{item.rows_imported.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd>{item.rows_rejected.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{item.finished_at ? formatDateSeconds(item.finished_at) : 'Not yet'}</dd>
        </div>
      </dl>
      {item.errors.length > 0 ? (
        <details open={item.errors.length <= 5}>
          <summary>
            {item.rows_rejected > item.errors.length
              ? `First ${item.errors.length} of ${item.rows_rejected.toLocaleString()} rejected rows`
              : `${item.errors.length} rejected row${item.errors.length === 1 ? '' : 's'}`}
          </summary>
          <ul className="import-errors">
            {item.errors.map((e) => (
              <li key={`${e.line}-${e.reason}`}>
                Line {e.line}: {e.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </li>
  );
}
