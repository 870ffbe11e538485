// Self-service sign-up, only when the server says it is open (SIGNUP_MODE=open, or a fresh install
// with no organization yet). Creates the person and their organization, then signs them in; on a
// server that hides which emails have accounts (LOGIN_HIDE_UNKNOWN_USERS) it says to check the
// email instead, whose link (/confirm-signup/{token}) finishes the sign-up.
import { useState } from 'react';
import { Field, Loading, Notice } from '../../components/ui';
import { api } from '../../lib/api';
import { useAction, useResource } from '../../lib/hooks';
import { Link } from '../../lib/router';
import type { Session, SignupPending, SignupStatus } from '../../lib/types';
import { AuthFrame, PasswordField, SubmitRow } from './AuthFrame';

export function SignUpPage({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const status = useResource(() => api<SignupStatus>('GET', '/signup'), []);
  const [form, setForm] = useState({ first_name: '', last_name: '', email: '', organization_name: '', password: '' });
  const { busy, error, run } = useAction();
  const [pending, setPending] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  if (status.loading && !status.data) return <Loading />;
  if (!status.data?.open) {
    return (
      <AuthFrame title="Sign-up is closed" footer={<Link to="/sign-in">Back to sign in</Link>}>
        <p>
          This Delivr server creates accounts by invitation. Ask your Delivr contact or an owner of your organization to invite you; the
          email has a link to set your password.
        </p>
      </AuthFrame>
    );
  }

  if (pending) {
    return (
      <AuthFrame title="Check your email" footer={<Link to="/sign-in">Back to sign in</Link>}>
        <Notice>{pending}</Notice>
        <p>
          We sent a message to <strong>{form.email}</strong>. Open the link in it within 24 hours to finish creating your account. If you
          already have an account, the message says so.
        </p>
      </AuthFrame>
    );
  }

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const done = await api<Session | SignupPending>('POST', '/signup', form);
      if ('csrf_token' in done) onSignedIn(done);
      else setPending(done.message);
    });
  };

  return (
    <AuthFrame
      title="Create your account"
      footer={
        <p>
          Already have an account? <Link to="/sign-in">Sign in</Link>
        </p>
      }
    >
      <form onSubmit={submit} className="stack">
        <div className="row">
          <Field label="First name">
            {(p) => <input {...p} autoComplete="given-name" required value={form.first_name} onChange={set('first_name')} />}
          </Field>
          <Field label="Last name">
            {(p) => <input {...p} autoComplete="family-name" required value={form.last_name} onChange={set('last_name')} />}
          </Field>
        </div>
        <Field label="Work email">
          {(p) => <input {...p} type="email" autoComplete="email" required value={form.email} onChange={set('email')} />}
        </Field>
        <Field label="Organization name" hint="Your company or team. You can invite teammates later.">
          {(p) => <input {...p} autoComplete="organization" required value={form.organization_name} onChange={set('organization_name')} />}
        </Field>
        <PasswordField
          label="Password"
          hint="At least 8 characters."
          kind="new-password"
          value={form.password}
          onChange={(v) => setForm({ ...form, password: v })}
        />
        <SubmitRow error={error} busy={busy} busyLabel="Creating your account…" label="Create account" />
      </form>
    </AuthFrame>
  );
}
