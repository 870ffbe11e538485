// /account/apps: the signed-in person's apps, the Partner API credentials (client_id +
// client_secret). The secret is shown once, when the app is created.
import { useState } from 'react';
import { ConfirmDialog, FormDialog } from '../components/ConfirmDialog';
import { SecretDialog } from '../components/SecretDialog';
import { Badge, DataTable, EmptyState, Field, ListStates, Notice, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useResource } from '../lib/hooks';
import type { AppCreatedBody, AppListBody, PartnerApp } from '../lib/types';

type Dialogs =
  | { kind: 'create' }
  | { kind: 'secret'; app: PartnerApp; clientId: string; clientSecret: string }
  | { kind: 'delete'; app: PartnerApp };

export function AppsPage() {
  const list = useResource(() => api<AppListBody>('GET', '/apps'), []);
  const [dialog, setDialog] = useState<Dialogs | null>(null);
  const [name, setName] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const apps = list.data?.apps ?? [];

  const createButton = (
    <button
      type="button"
      className="button-primary"
      onClick={() => {
        setName('');
        setDone(null);
        setDialog({ kind: 'create' });
      }}
    >
      Create app
    </button>
  );

  return (
    <>
      <PageHeader
        title="Apps"
        description={
          <>
            An app's <code>client_id</code> and <code>client_secret</code> let your code manage projects and pixels through the Partner API,
            as you. They belong to your account and work in every organization you are a member of. To query events or audiences you only
            need an organization API key.
          </>
        }
        actions={createButton}
      />
      {done ? <Notice>{done}</Notice> : null}
      <ListStates
        resource={list}
        items={apps}
        empty={
          <EmptyState title="No apps yet" action={createButton}>
            Create an app if you want to create projects or pixels from your own code. Its secret is shown once, right after you create it.
          </EmptyState>
        }
      >
        <DataTable caption="Apps" columns={['Name', 'Client ID', 'Created', 'Status']}>
          {apps.map((a) => (
            <tr key={a.app_id}>
              <th scope="row">{a.name}</th>
              <td>
                <code>{a.client_id}</code>
              </td>
              <td>{formatDate(a.created_at)}</td>
              <td>{a.status === 'active' ? <Badge tone="good">Active</Badge> : <Badge tone="neutral">{a.status}</Badge>}</td>
              <td className="actions">
                <button
                  type="button"
                  className="button-danger-quiet"
                  onClick={() => setDialog({ kind: 'delete', app: a })}
                  aria-label={`Delete app ${a.name}`}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      </ListStates>

      {dialog?.kind === 'create' ? (
        <FormDialog
          title="Create app"
          submitLabel="Create app"
          onClose={() => setDialog(null)}
          onSubmit={async () => {
            const r = await api<AppCreatedBody>('POST', '/apps', { name: name.trim() });
            setDialog({ kind: 'secret', app: r.app, clientId: r.client_id, clientSecret: r.client_secret });
            await list.reload();
          }}
        >
          <Field label="App name" hint="For example the integration that will use it.">
            {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
        </FormDialog>
      ) : null}

      {dialog?.kind === 'secret' ? (
        <SecretDialog
          title="Your new app credentials"
          intro={`App "${dialog.app.name}" is ready. Send these as the X-Delivr-Client-ID and X-Delivr-Client-Secret headers on Partner API calls, with a platform JWT from POST /public/core/auth/issue.`}
          values={[
            { label: 'Client ID', value: dialog.clientId, secret: false },
            { label: 'Client secret', value: dialog.clientSecret, secret: true },
          ]}
          onClose={() => setDialog(null)}
        />
      ) : null}

      {dialog?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete app ${dialog.app.name}?`}
          confirmLabel="Delete app"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', `/apps/${dialog.app.app_id}`);
            setDialog(null);
            await list.reload();
            setDone(`App ${dialog.app.name} deleted. Its credentials no longer work.`);
          }}
        >
          <p>Partner API calls with its client ID and secret are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
