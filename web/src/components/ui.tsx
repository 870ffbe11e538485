// Small shared pieces: page header, messages, empty states, form fields, row actions, status badges,
// table headers.
import { type ReactNode, useId } from 'react';
import { useTitle } from '../lib/hooks';

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  useTitle(title);
  return (
    <header className="page-header">
      <div>
        <h1 tabIndex={-1} id="page-title">
          {title}
        </h1>
        {description ? <p className="lead">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function ErrorMessage({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p className="message message-error" role="alert">
      {children}
    </p>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="message message-info" role="status">
      {children}
    </p>
  );
}

export function EmptyState({ title, children, action }: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <section className="empty-state" aria-label={title}>
      <h2>{title}</h2>
      <p>{children}</p>
      {action ? <div>{action}</div> : null}
    </section>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}

export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (props: { id: string; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(hint ? { id, 'aria-describedby': hintId } : { id })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A button in a table row's actions cell: short visible text ("Rename"), and an accessible name that
 * says which row it acts on ("Rename Acme"), so a screen reader's list of buttons is not ten "Rename"s.
 */
export function RowAction({
  label,
  name,
  onClick,
  tone = 'secondary',
}: {
  label: string;
  name: string;
  onClick: () => void;
  /** `danger` for removing things, `link` for a quiet action inside a cell. */
  tone?: 'secondary' | 'danger' | 'link';
}) {
  const className = tone === 'danger' ? 'button-danger-quiet' : `button-${tone}`;
  return (
    <button type="button" className={className} onClick={onClick} aria-label={name}>
      {label}
    </button>
  );
}

export function Badge({ tone, children }: { tone: 'good' | 'bad' | 'neutral' | 'wait'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/**
 * A page that lists things and may create them: the header with its create button, the notices (the
 * last action's result), then the list's load error, a spinner on first load, the empty state (with
 * the create button again) when there is nothing, else `children` (the table). The pages differ only
 * in what they list and say.
 */
export function ListPage<T>({
  title,
  description,
  create,
  notices = [],
  resource,
  items,
  empty,
  children,
}: {
  title: string;
  description: ReactNode;
  /** None for people who may not create. */
  create?: { label: string; onClick: () => void };
  /** Shown in order under the header; empty ones are skipped. */
  notices?: readonly (string | null | false)[];
  resource: { loading: boolean; error: string | null; data: unknown };
  items: readonly T[];
  empty: { title: string; text: ReactNode };
  children: ReactNode;
}) {
  const createButton = create ? (
    <button type="button" className="button-primary" onClick={create.onClick}>
      {create.label}
    </button>
  ) : null;
  return (
    <>
      <PageHeader title={title} description={description} actions={createButton} />
      {notices.map((notice) => (notice ? <Notice key={notice}>{notice}</Notice> : null))}
      <ListStates
        resource={resource}
        items={items}
        empty={
          <EmptyState title={empty.title} action={createButton}>
            {empty.text}
          </EmptyState>
        }
      >
        {children}
      </ListStates>
    </>
  );
}

export function ListStates<T>({
  resource,
  items,
  empty,
  children,
}: {
  resource: { loading: boolean; error: string | null; data: unknown };
  items: readonly T[];
  empty: ReactNode;
  children: ReactNode;
}) {
  return (
    <>
      <ErrorMessage>{resource.error}</ErrorMessage>
      {resource.loading && !resource.data ? <Loading /> : items.length === 0 ? resource.error ? null : empty : children}
    </>
  );
}

/**
 * A table whose rows end with an actions cell: the header names the columns, then an unlabelled one.
 * In a narrow window each row becomes a block (give cells a `data-label` to name their values there),
 * so the actions stay on screen instead of past the right edge.
 */
export function DataTable({
  caption,
  showCaption,
  columns,
  children,
}: {
  caption?: string;
  showCaption?: boolean;
  columns: string[];
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table className="stack-table">
        {caption ? <caption className={showCaption ? 'table-caption' : 'visually-hidden'}>{caption}</caption> : null}
        <TableHead columns={columns}>
          <ActionsHead />
        </TableHead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A table's header row: a column header per name, then `children` (more header cells, such as <ActionsHead />). */
export function TableHead({ columns, children }: { columns: readonly string[]; children?: ReactNode }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th scope="col" key={c}>
            {c}
          </th>
        ))}
        {children}
      </tr>
    </thead>
  );
}

/** The header of a row-actions column: named for screen readers only. */
export function ActionsHead() {
  return (
    <th scope="col">
      <span className="visually-hidden">Actions</span>
    </th>
  );
}
