// Forgotten password: ask for a link by email, then set a new password from the link
// (/reset-password/{token}). A reset signs out every session, so the page drops its own too.
import { useState } from 'react';
import { Field, Notice } from '../../components/ui';
import { api } from '../../lib/api';
import { useAction } from '../../lib/hooks';
import { Link, navigate } from '../../lib/router';
import type { ForgotResult } from '../../lib/types';
import { AuthFrame, SubmitRow, useNewPassword } from './AuthFrame';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const res = await api<ForgotResult>('POST', '/password/forgot', { email });
      setSent(res.message);
    });
  };

  return (
    <AuthFrame title="Reset your password" footer={<Link to="/sign-in">Back to sign in</Link>}>
      {sent ? (
        <Notice>{sent} Open the link in the email within an hour to choose a new password.</Notice>
      ) : (
        <form onSubmit={submit} className="stack">
          <p>Enter the email you sign in with. We'll send you a link to choose a new password.</p>
          <Field label="Email">
            {(p) => <input {...p} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <SubmitRow error={error} busy={busy} busyLabel="Sending…" label="Email me a reset link" />
        </form>
      )}
    </AuthFrame>
  );
}

export function ResetPasswordPage({ token, onReset }: { token: string; onReset: () => void }) {
  const chosen = useNewPassword({
    label: 'New password',
    confirmLabel: 'Confirm new password',
    hint: 'At least 8 characters. Every device signed in to your account is signed out.',
  });
  const { busy, error, run, setError } = useAction();

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (chosen.mismatch) return setError(chosen.mismatch);
    void run(async () => {
      await api('POST', '/password/reset', { token, password: chosen.password });
      onReset();
      navigate('/sign-in?notice=password-reset', { replace: true });
    });
  };

  return (
    <AuthFrame title="Choose a new password" footer={<Link to="/forgot-password">Send a new link</Link>}>
      <form onSubmit={submit} className="stack">
        {chosen.fields}
        <SubmitRow error={error} busy={busy} busyLabel="Saving…" label="Set new password" />
      </form>
    </AuthFrame>
  );
}
