// "Are you sure?" for destructive actions, with the consequence spelled out and errors shown inline;
// and the small form dialogs (one name to type, or a few fields) that create and rename things.
import { type ReactNode, useState } from 'react';
import { useAction } from '../lib/hooks';
import { Dialog } from './Dialog';
import { ErrorMessage, Field } from './ui';

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  destructive = true,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  destructive?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { busy, error, run } = useAction();
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="dialog-body">{children}</div>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className={destructive ? 'button-danger' : 'button-primary'}
          onClick={() => void run(onConfirm)}
          disabled={busy}
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** A dialog holding one small form: fields, an error line, Cancel and a submit button. */
export function FormDialog({
  title,
  submitLabel,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  submitLabel: string;
  onSubmit: () => Promise<void>;
  onClose: () => void;
  children: ReactNode;
}) {
  const { busy, error, run } = useAction();
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(onSubmit);
        }}
      >
        {children}
        <ErrorMessage>{error}</ErrorMessage>
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Working…' : submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A form dialog asking for one name (of a key, an app, a project); `onSubmit` gets it trimmed. */
export function NameDialog({
  title,
  submitLabel,
  label,
  hint,
  initial = '',
  onSubmit,
  onClose,
}: {
  title: string;
  submitLabel: string;
  label: string;
  hint: string;
  initial?: string;
  onSubmit: (name: string) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState(initial);
  return (
    <FormDialog title={title} submitLabel={submitLabel} onClose={onClose} onSubmit={() => onSubmit(name.trim())}>
      <Field label={label} hint={hint}>
        {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}
