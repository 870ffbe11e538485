// "Are you sure?" for destructive actions, with the consequence spelled out and errors shown inline.
import { type ReactNode, useState } from 'react';
import { errorText } from '../lib/api';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ui';

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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="dialog-body">{children}</div>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className={destructive ? 'button-danger' : 'button-primary'} onClick={confirm} disabled={busy}>
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await onSubmit();
          } catch (err) {
            setError(errorText(err));
            setBusy(false);
          }
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
