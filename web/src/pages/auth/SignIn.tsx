// Sign in with email and password; links to the forgotten-password flow and, when open, sign-up.
import { useState } from 'react';
import { Field, Notice } from '../../components/ui';
import { api } from '../../lib/api';
import { useAction, useResource } from '../../lib/hooks';
import { Link } from '../../lib/router';
import type { Session, SignupStatus } from '../../lib/types';
import { AuthFrame, PasswordField, SubmitRow } from './AuthFrame';

const NOTICES: Record<string, string> = {
  'password-reset': 'Your password is changed. Sign in with the new one.',
};

export function SignInPage({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const signup = useResource(() => api<SignupStatus>('GET', '/signup'), []);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void run(async () => onSignedIn(await api<Session>('POST', '/session', { email, password })));
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
