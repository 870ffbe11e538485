// Forgotten password: ask for a link by email, then set a new password from the link
// (/reset-password/{token}). A reset signs out every session, so the page drops its own too.
import { useState } from 'react';
import { Field, Notice } from '../../components/ui';
import { api, errorText } from '../../lib/api';
import { Link, navigate } from '../../lib/router';
import type { ForgotResult } from '../../lib/types';
import { AuthFrame, PasswordField, SubmitRow } from './AuthFrame';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api<ForgotResult>('POST', '/password/forgot', { email });
      setSent(res.message);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
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
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    if (password !== confirm) {
      setError('The two passwords are different. Type the same password twice.');
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/password/reset', { token, password });
      onReset();
      navigate('/sign-in?notice=password-reset', { replace: true });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Choose a new password" footer={<Link to="/forgot-password">Send a new link</Link>}>
      <form onSubmit={submit} className="stack">
        <PasswordField
          label="New password"
          hint="At least 8 characters. Every device signed in to your account is signed out."
          kind="new-password"
          value={password}
          onChange={setPassword}
        />
        <PasswordField label="Confirm new password" kind="new-password" checkLength={false} value={confirm} onChange={setConfirm} />
        <SubmitRow error={error} busy={busy} busyLabel="Saving…" label="Set new password" />
      </form>
    </AuthFrame>
  );
}
