// The emailed invitation link (/invite/{token}): shows which organization it is for, then a new
// person sets their name and password, and someone with an account confirms their password.
import { useState } from 'react';
import { ErrorMessage, Field, Loading } from '../../components/ui';
import { api, errorText } from '../../lib/api';
import { useResource } from '../../lib/hooks';
import { ROLE_LABEL } from '../../lib/permissions';
import { Link } from '../../lib/router';
import type { InviteAccepted, InvitePreview, Session } from '../../lib/types';
import { AuthFrame, PasswordField, SubmitRow } from './AuthFrame';

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
      const res = await api<InviteAccepted>('POST', '/invites/accept', body);
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
            <PasswordField label="Password" kind="current-password" value={password} onChange={setPassword} />
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
            <PasswordField
              label="Choose a password"
              hint="At least 8 characters."
              kind="new-password"
              value={password}
              onChange={setPassword}
            />
            <PasswordField label="Confirm password" kind="new-password" checkLength={false} value={confirm} onChange={setConfirm} />
          </>
        )}
        <SubmitRow
          error={error}
          busy={busy}
          busyLabel="Joining…"
          label={inv.existing_user ? 'Join organization' : 'Create account and join'}
        />
      </form>
    </AuthFrame>
  );
}
