// Settings > Members: who is in the organization, with what role, and the pending invitations.
// Owners and admins invite (only owners may invite owners); only owners change roles or remove
// people. Anyone may leave, except the only owner: the API refuses that, so the page offers neither
// a role menu nor Leave to a sole owner and says what to do instead. A role change is confirmed first,
// with what the new role may do.
import { useState } from 'react';
import { ConfirmDialog, FormDialog } from '../components/ConfirmDialog';
import { DataTable, EmptyState, ErrorMessage, Field, Loading, Notice, PageHeader, RowAction } from '../components/ui';
import { api, errorText } from '../lib/api';
import { formatDate, fullName } from '../lib/format';
import { useResource } from '../lib/hooks';
import { canInvite, canManageMembers, ROLE_LABEL } from '../lib/permissions';
import { navigate } from '../lib/router';
import { useSession } from '../lib/session';
import type { Invite, InviteBodyOut, Member, MembersList, OrganizationRef, Role } from '../lib/types';

type Dialogs =
  | { kind: 'invite' }
  | { kind: 'remove'; member: Member }
  | { kind: 'cancel'; invite: Invite }
  | { kind: 'role'; member: Member; role: Role };

/** What each role adds, said when someone is about to get it. */
const ROLE_MEANS: Record<Role, string> = {
  owner: 'Owners can do everything, including changing roles, removing members and deciding whether API keys need their secret.',
  admin: 'Admins manage projects, pixels, API keys and invitations, but cannot change roles or remove members.',
  member: 'Members see data and settings but cannot change them, create API keys or invite people.',
};
const withArticle = (role: Role): string => (role === 'member' ? 'a member' : `an ${role}`);

export function MembersPage({ org }: { org: OrganizationRef }) {
  const { session, refresh } = useSession();
  const base = `/orgs/${org.organization_id}`;
  const list = useResource(() => api<MembersList>('GET', `${base}/members`), [base]);
  const [dialog, setDialog] = useState<Dialogs | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inviter = canInvite(org.role);
  const manager = canManageMembers(org.role);
  const members = list.data?.members ?? [];
  const invites = list.data?.invites ?? [];
  const me = session.user.user_id;
  /** The only owner can neither change role nor leave (the organization must keep an owner). */
  const soleOwner = (m: Member) => m.role === 'owner' && members.filter((x) => x.role === 'owner').length === 1;
  const mySoleOwnership = members.some((m) => m.user_id === me && soleOwner(m));

  const act = async (work: () => Promise<void>, message: string) => {
    setError(null);
    setDone(null);
    try {
      await work();
      // The notice comes after the reload, so the list it points at already shows the change.
      await list.reload();
      setDone(message);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const inviteButton = inviter ? (
    <button
      type="button"
      className="button-primary"
      onClick={() => {
        setEmail('');
        setRole('member');
        setDone(null);
        setDialog({ kind: 'invite' });
      }}
    >
      Invite member
    </button>
  ) : null;

  return (
    <>
      <PageHeader title="Members" description={`People who can sign in to ${org.name}.`} actions={inviteButton} />
      {!inviter ? <Notice>Only owners and admins can invite people, and only owners can change roles or remove members.</Notice> : null}
      {done ? <Notice>{done}</Notice> : null}
      {mySoleOwnership ? (
        <p className="hint">You are the only owner of {org.name}. To change your role or leave, first make someone else an owner.</p>
      ) : null}
      <ErrorMessage>{error ?? list.error}</ErrorMessage>
      {list.loading && !list.data ? (
        <Loading />
      ) : (
        <>
          <DataTable caption="Members" showCaption columns={['Name', 'Email', 'Role', 'Joined']}>
            {members.map((m) => (
              <tr key={m.user_id}>
                <th scope="row">
                  {fullName(m)}
                  {m.user_id === me ? <span className="muted"> (you)</span> : null}
                </th>
                <td data-label="Email">{m.email}</td>
                <td data-label="Role">
                  {manager && !soleOwner(m) ? (
                    <select
                      aria-label={`Role of ${fullName(m)}`}
                      value={m.role}
                      onChange={(e) => {
                        setDone(null);
                        setError(null);
                        setDialog({ kind: 'role', member: m, role: e.target.value as Role });
                      }}
                    >
                      <option value="owner">Owner</option>
                      <option value="admin">Admin</option>
                      <option value="member">Member</option>
                    </select>
                  ) : (
                    ROLE_LABEL[m.role]
                  )}
                </td>
                <td data-label="Joined">{formatDate(m.joined_at)}</td>
                <td className="actions">
                  {(manager || m.user_id === me) && !soleOwner(m) ? (
                    <RowAction
                      label={m.user_id === me ? 'Leave' : 'Remove'}
                      name={m.user_id === me ? 'Leave organization' : `Remove ${fullName(m)}`}
                      tone="danger"
                      onClick={() => setDialog({ kind: 'remove', member: m })}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </DataTable>

          {inviter ? (
            <section aria-labelledby="pending-heading" className="section">
              <h2 id="pending-heading">Pending invitations</h2>
              {invites.length === 0 ? (
                <EmptyState title="No pending invitations" action={inviteButton}>
                  Invite teammates by email. They get a link to set their name and password, then land in {org.name}.
                </EmptyState>
              ) : (
                <DataTable columns={['Email', 'Role', 'Sent', 'Expires']}>
                  {invites.map((i) => (
                    <tr key={i.invite_id}>
                      <th scope="row">{i.email}</th>
                      <td data-label="Role">{ROLE_LABEL[i.role]}</td>
                      <td data-label="Sent">{formatDate(i.created_at)}</td>
                      <td data-label="Expires">{formatDate(i.expires_at)}</td>
                      <td className="actions">
                        <RowAction
                          label="Resend"
                          name={`Resend invitation to ${i.email}`}
                          onClick={() =>
                            void act(
                              () => api('POST', `${base}/invites/${i.invite_id}/resend`),
                              `Invitation sent again to ${i.email}, with a new link.`,
                            )
                          }
                        />
                        <RowAction
                          label="Cancel"
                          name={`Cancel invitation to ${i.email}`}
                          tone="danger"
                          onClick={() => setDialog({ kind: 'cancel', invite: i })}
                        />
                      </td>
                    </tr>
                  ))}
                </DataTable>
              )}
            </section>
          ) : null}
        </>
      )}

      {dialog?.kind === 'invite' ? (
        <FormDialog
          title="Invite member"
          submitLabel="Send invitation"
          onClose={() => setDialog(null)}
          onSubmit={async () => {
            const r = await api<InviteBodyOut>('POST', `${base}/invites`, { email: email.trim(), role });
            setDialog(null);
            await list.reload();
            setDone(`Invitation sent to ${r.invite.email}. The link works for ${daysUntil(r.invite.expires_at)} days.`);
          }}
        >
          <Field label="Email address">
            {(p) => <input {...p} type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field
            label="Role"
            hint="Members see data and settings. Admins also manage projects, pixels, API keys and invitations. Owners also manage roles."
          >
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="member">Member</option>
                <option value="admin">Admin</option>
                {org.role === 'owner' ? <option value="owner">Owner</option> : null}
              </select>
            )}
          </Field>
        </FormDialog>
      ) : null}

      {dialog?.kind === 'remove' ? (
        <ConfirmDialog
          title={dialog.member.user_id === me ? `Leave ${org.name}?` : `Remove ${fullName(dialog.member)}?`}
          confirmLabel={dialog.member.user_id === me ? 'Leave organization' : 'Remove member'}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', `${base}/members/${dialog.member.user_id}`);
            if (dialog.member.user_id === me) {
              await refresh();
              navigate('/');
              return;
            }
            setDialog(null);
            await list.reload();
            setDone(`${fullName(dialog.member)} was removed from ${org.name}.`);
          }}
        >
          <p>
            {dialog.member.user_id === me
              ? `You lose access to ${org.name} at once. An owner or admin has to invite you again to come back.`
              : `${fullName(dialog.member)} loses access to ${org.name} at once.`}
          </p>
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'role' ? (
        <ConfirmDialog
          title={`Make ${dialog.member.user_id === me ? 'yourself' : fullName(dialog.member)} ${withArticle(dialog.role)}?`}
          confirmLabel="Change role"
          destructive={dialog.member.user_id === me || dialog.role === 'owner'}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const { member, role: next } = dialog;
            await api('PATCH', `${base}/members/${member.user_id}`, { role: next });
            setDialog(null);
            if (member.user_id === me) await refresh();
            await list.reload();
            setDone(`The role of ${fullName(member)} is now ${ROLE_LABEL[next]}.`);
          }}
        >
          <p>{ROLE_MEANS[dialog.role]}</p>
          {dialog.member.user_id === me ? <p>You are changing your own role: you cannot undo this yourself.</p> : null}
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'cancel' ? (
        <ConfirmDialog
          title={`Cancel the invitation to ${dialog.invite.email}?`}
          confirmLabel="Cancel invitation"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', `${base}/invites/${dialog.invite.invite_id}`);
            setDialog(null);
            await list.reload();
            setDone(`The invitation to ${dialog.invite.email} is cancelled; its link no longer works.`);
          }}
        >
          <p>The link in the email stops working. You can invite the same address again later.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function daysUntil(iso: string): number {
  return Math.max(1, Math.round((Date.parse(iso) - Date.now()) / 86_400_000));
}
