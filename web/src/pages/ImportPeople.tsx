// /{org_id}/people/import: upload a list of people (a CRM export, a purchased list) as CSV or
// NDJSON, watch it being read, and see which rows were rejected and why. The server answers as soon
// as the file is received and imports in the background; this page polls while an import is
// processing and shows how much of the file has been read. Rows with a visitor_id also link that
// visitor to the person. Owners and admins upload (projects.write); every member sees the imports.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ErrorMessage, Field, Loading, Notice, PageHeader } from '../components/ui';
import { api, errorText, upload } from '../lib/api';
import { formatDateSeconds } from '../lib/format';
import { useResource } from '../lib/hooks';
import { canWriteProjects } from '../lib/permissions';
import { Link } from '../lib/router';
import type { IdentityImportList, IdentityImportView, ImportAcceptedBody, OrganizationRef } from '../lib/types';

const POLL_MS = 1000;
const STATUS_LABEL: Record<IdentityImportView['status'], string> = { processing: 'Importing', completed: 'Completed', failed: 'Failed' };
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

export function ImportPeoplePage({ org }: { org: OrganizationRef }) {
  const orgPath = `/${org.organization_id}`;
  const base = `/orgs/${org.organization_id}/identities`;
  const list = useResource(() => api<IdentityImportList>('GET', `${base}/imports`), [base]);
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const manage = canWriteProjects(org.role);
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
      await upload<ImportAcceptedBody>(`${base}/import`, file, await contentTypeOf(file), setSent);
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
              <ImportCard key={i.import_id} item={i} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function ImportCard({ item }: { item: IdentityImportView }) {
  const label = `Import of ${formatDateSeconds(item.created_at)}`;
  const done = item.status !== 'processing';
  const id = `progress-${item.import_id}`;
  const share = item.bytes_total > 0 ? Math.min(1, item.bytes_read / item.bytes_total) : done ? 1 : 0;
  return (
    <li className="card import-card" aria-label={label}>
      <div className="card-head">
        <h3>{label}</h3>
        <span className={`badge badge-${item.status === 'completed' ? 'good' : item.status === 'failed' ? 'bad' : 'wait'}`}>
          {STATUS_LABEL[item.status]}
        </span>
      </div>
      {item.status === 'failed' ? (
        <p className="message message-error">
          The import stopped after {plural(item.rows_read, 'row')}
          {item.failure ? `: ${item.failure}` : '.'}
        </p>
      ) : (
        <div className="progress-row">
          <label htmlFor={id}>{done ? 'Read' : 'Reading'}</label>
          <progress id={id} max={1} value={done ? 1 : share} />
          <span>{done ? '100%' : `${Math.floor(share * 100)}%`}</span>
        </div>
      )}
      <dl className="facts">
        <div>
          <dt>Rows read</dt>
          <dd>{item.rows_read.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Imported</dt>
          <dd>{item.rows_imported.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd>{item.rows_rejected.toLocaleString()}</dd>
        </div>
        <div>
          <dt>File</dt>
          <dd>
            {item.format.toUpperCase()}, {formatBytes(item.bytes_total)}
          </dd>
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
              : `${plural(item.errors.length, 'rejected row')}`}
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

const plural = (n: number, word: string): string => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
