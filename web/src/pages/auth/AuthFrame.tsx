// The frame of the signed-out pages (a centered card with the brand) and the pieces their forms
// share: a password field, a new password typed twice, the error line and submit button.
import { type ReactNode, useState } from 'react';
import { ErrorMessage, Field } from '../../components/ui';
import { useTitle } from '../../lib/hooks';

export function AuthFrame({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  useTitle(title);
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <p className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true" />
          Delivr
        </p>
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {children}
      </div>
      {footer ? <div className="auth-footer">{footer}</div> : null}
    </main>
  );
}

/** A password input in a labelled field; `new-password` ones require 8 characters, as the server does. */
export function PasswordField({
  label,
  hint,
  kind,
  value,
  onChange,
  checkLength = kind === 'new-password',
}: {
  label: string;
  hint?: string;
  kind: 'new-password' | 'current-password';
  value: string;
  onChange: (value: string) => void;
  /** Off for the confirmation field: its mismatch message is the one that helps. */
  checkLength?: boolean;
}) {
  return (
    <Field label={label} {...(hint ? { hint } : {})}>
      {(p) => (
        <input
          {...p}
          type="password"
          autoComplete={kind}
          {...(checkLength ? { minLength: 8 } : {})}
          required
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/**
 * A new password typed twice: the two fields, the password, and the message to show instead of
 * sending while the two differ.
 */
export function useNewPassword({ label, confirmLabel, hint }: { label: string; confirmLabel: string; hint: string }): {
  password: string;
  mismatch: string | null;
  fields: ReactNode;
} {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  return {
    password,
    mismatch: password === confirm ? null : 'The two passwords are different. Type the same password twice.',
    fields: (
      <>
        <PasswordField label={label} hint={hint} kind="new-password" value={password} onChange={setPassword} />
        <PasswordField label={confirmLabel} kind="new-password" checkLength={false} value={confirm} onChange={setConfirm} />
      </>
    ),
  };
}

/** The end of every signed-out form: what went wrong, then the one full-width submit button. */
export function SubmitRow({ error, busy, label, busyLabel }: { error: string | null; busy: boolean; label: string; busyLabel: string }) {
  return (
    <>
      <ErrorMessage>{error}</ErrorMessage>
      <button type="submit" className="button-primary button-block" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
    </>
  );
}
