// The emailed invitation link (/invite/{token}): shows which organization it is for, then a new
// person sets their name and password, and someone with an account confirms their password.
import { useState } from 'react';
import { ErrorMessage, Field, Loading } from '../../components/ui';
import { api, errorText } from '../../lib/api';
import { useResource } from '../../lib/hooks';
import { ROLE_LABEL } from '../../lib/permissions';
import { Link } from '../../lib/router';
import type { InvitePreview, Session } from '../../lib/types';
import { AuthFrame } from './AuthFrame';

export function InvitePage({ token, onAccepted }: { token: string; onAccepted: (s: Session, orgId: string) => void }) {
  const preview = useResource(() => api<InvitePreview>('POST', '/invites/preview', { token }), [token]);
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (preview.loading && !preview.data) return <Loading label="Checking your invitation…" />;
  const inv = preview.data;
  if (!inv) {
    return (
      <AuthFrame title="This invitation can't be used" footer={<Link to="/sign-in">Go to sign in</Link>}>
        <ErrorMessage>{preview.error}</ErrorMessage>
        <p>Invitation links work once and expire after a few days. Ask the person who invited you to send a new one.</p>
      </AuthFrame>
    );
  }

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!inv.existing_user && password !== confirm) {
      setError('The two passwords are different. Type the same password twice.');
      return;
    }
    setBusy(true);
    try {
      const body = inv.existing_user ? { token, password } : { token, password, first_name: first, last_name: last };
      const res = await api<Session & { organization_id: string }>('POST', '/invites/accept', body);
      onAccepted(res, res.organization_id);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <AuthFrame title={`Join ${inv.organization_name}`}>
      <p>
        You're invited as <strong>{ROLE_LABEL[inv.role]}</strong> with <strong>{inv.email}</strong>.
      </p>
      <form onSubmit={submit} className="stack">
        {inv.existing_user ? (
          <>
            <p>You already have a Delivr account. Enter its password to join this organization.</p>
            <Field label="Password">
              {(p) => (
                <input
                  {...p}
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
          </>
        ) : (
          <>
            <div className="row">
              <Field label="First name">
                {(p) => <input {...p} autoComplete="given-name" required value={first} onChange={(e) => setFirst(e.target.value)} />}
              </Field>
              <Field label="Last name">
                {(p) => <input {...p} autoComplete="family-name" required value={last} onChange={(e) => setLast(e.target.value)} />}
              </Field>
            </div>
            <Field label="Choose a password" hint="At least 8 characters.">
              {(p) => (
                <input
                  {...p}
                  type="password"
                  autoComplete="new-password"
                  minLength={8}
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
            <Field label="Confirm password">
              {(p) => (
                <input
                  {...p}
                  type="password"
                  autoComplete="new-password"
                  required
                  value={confirm}
                  onChange={(e) => setConfirm(e.target.value)}
                />
              )}
            </Field>
          </>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <button type="submit" className="button-primary button-block" disabled={busy}>
          {busy ? 'Joining…' : inv.existing_user ? 'Join organization' : 'Create account and join'}
        </button>
      </form>
    </AuthFrame>
  );
}
