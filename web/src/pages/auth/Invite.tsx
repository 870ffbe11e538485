// The emailed invitation link (/invite/{token}): shows which organization it is for, then a new
// person sets their name and password, and someone with an account confirms their password.
import { useState } from 'react';
import { ErrorMessage, Field, Loading } from '../../components/ui';
import { api } from '../../lib/api';
import { useAction, useResource } from '../../lib/hooks';
import { ROLE_LABEL } from '../../lib/permissions';
import { Link } from '../../lib/router';
import type { InviteAccepted, InvitePreview, Session } from '../../lib/types';
import { AuthFrame, PasswordField, SubmitRow, useNewPassword } from './AuthFrame';

export function InvitePage({ token, onAccepted }: { token: string; onAccepted: (s: Session, orgId: string) => void }) {
  const preview = useResource(() => api<InvitePreview>('POST', '/invites/preview', { token }), [token]);
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  // An existing account confirms its current password; a new person chooses one, typed twice.
  const [current, setCurrent] = useState('');
  const chosen = useNewPassword({ label: 'Choose a password', confirmLabel: 'Confirm password', hint: 'At least 8 characters.' });
  const { busy, error, run, setError } = useAction();

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

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!inv.existing_user && chosen.mismatch) return setError(chosen.mismatch);
    void run(async () => {
      const body = inv.existing_user
        ? { token, password: current }
        : { token, password: chosen.password, first_name: first, last_name: last };
      const res = await api<InviteAccepted>('POST', '/invites/accept', body);
      onAccepted(res, res.organization_id);
    });
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
            <PasswordField label="Password" kind="current-password" value={current} onChange={setCurrent} />
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
            {chosen.fields}
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
