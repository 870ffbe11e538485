// Sign in with email and password; links to the forgotten-password flow and, when open, sign-up.
import { useState } from 'react';
import { Field, Notice } from '../../components/ui';
import { api, errorText } from '../../lib/api';
import { useResource } from '../../lib/hooks';
import { Link } from '../../lib/router';
import type { Session, SignupStatus } from '../../lib/types';
import { AuthFrame, PasswordField, SubmitRow } from './AuthFrame';

const NOTICES: Record<string, string> = {
  'password-reset': 'Your password is changed. Sign in with the new one.',
};

export function SignInPage({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = useResource(() => api<SignupStatus>('GET', '/signup'), []);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<Session>('POST', '/session', { email, password }));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <AuthFrame
      title="Sign in"
      footer={
        signup.data?.open ? (
          <p>
            New to Delivr? <Link to="/sign-up">Create an account</Link>
          </p>
        ) : (
          <p>Accounts are created by invitation: your Delivr contact or an organization owner sends you a link by email.</p>
        )
      }
    >
      {notice && NOTICES[notice] ? <Notice>{NOTICES[notice]}</Notice> : null}
      <form onSubmit={submit} className="stack">
        <Field label="Email">
          {(p) => <input {...p} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <PasswordField label="Password" kind="current-password" value={password} onChange={setPassword} />
        <SubmitRow error={error} busy={busy} busyLabel="Signing in…" label="Sign in" />
      </form>
      <p className="auth-aside">
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
    </AuthFrame>
  );
}
