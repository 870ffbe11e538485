// /account/apps: the signed-in person's apps, the Partner API credentials (client_id +
// client_secret). The secret is shown once, when the app is created or its secret rotated (the way
// to replace a lost or leaked one).
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CreateWithSecretDialog, RotateSecretDialog } from '../components/SecretDialog';
import { Badge, DataTable, ListPage, RowAction } from '../components/ui';
import { api } from '../lib/api';
import { formatDate } from '../lib/format';
import { useDialogs, useResource } from '../lib/hooks';
import type { AppCreatedBody, AppListBody, AppRotatedBody, PartnerApp } from '../lib/types';

type Dialogs = { kind: 'create' } | { kind: 'delete' | 'rotate'; app: PartnerApp };

export function AppsPage() {
  const list = useResource(() => api<AppListBody>('GET', '/apps'), []);
  const { dialog, done, start, open, close, finish } = useDialogs<Dialogs>();
  const apps = list.data?.apps ?? [];

  return (
    <>
      <ListPage
        title="Apps"
        description={
          <>
            An app's <code>client_id</code> and <code>client_secret</code> let your code manage projects and pixels through the Partner API,
            as you. They belong to your account and work in every organization you are a member of. To query events or audiences you only
            need an organization API key.
          </>
        }
        create={{ label: 'Create app', onClick: () => start({ kind: 'create' }) }}
        notices={[done]}
        resource={list}
        items={apps}
        empty={{
          title: 'No apps yet',
          text: 'Create an app if you want to create projects or pixels from your own code. Its secret is shown once, right after you create it.',
        }}
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
                <RowAction label="Rotate secret" name={`Rotate secret of app ${a.name}`} onClick={() => open({ kind: 'rotate', app: a })} />
                <RowAction label="Delete" name={`Delete app ${a.name}`} tone="danger" onClick={() => open({ kind: 'delete', app: a })} />
              </td>
            </tr>
          ))}
        </DataTable>
      </ListPage>

      {dialog?.kind === 'create' ? (
        <CreateWithSecretDialog
          title="Create app"
          submitLabel="Create app"
          label="App name"
          hint="For example the integration that will use it."
          create={async (name) => {
            const r = await api<AppCreatedBody>('POST', '/apps', { name });
            return {
              title: 'Your new app credentials',
              intro: `App "${r.app.name}" is ready. Send these as the X-Delivr-Client-ID and X-Delivr-Client-Secret headers on Partner API calls, with a platform JWT from POST /public/core/auth/issue.`,
              values: [
                { label: 'Client ID', value: r.client_id, secret: false },
                { label: 'Client secret', value: r.client_secret, secret: true },
              ],
            };
          }}
          onCreated={list.reload}
          onClose={close}
        />
      ) : null}

      {dialog?.kind === 'rotate' ? (
        <RotateSecretDialog
          name={dialog.app.name}
          rotate={async () => {
            const r = await api<AppRotatedBody>('POST', `/apps/${dialog.app.app_id}/rotate`);
            return {
              title: 'Your new client secret',
              intro: `The secret of "${r.app.name}" is replaced. The client ID stays the same (${r.client_id}).`,
              values: [{ label: 'Client secret', value: r.client_secret, secret: true }],
            };
          }}
          onRotated={list.reload}
          onClose={close}
        >
          <p>
            A new client secret is made and the current one stops working right away. Update every integration that uses this app with the
            new secret.
          </p>
        </RotateSecretDialog>
      ) : null}

      {dialog?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete app ${dialog.app.name}?`}
          confirmLabel="Delete app"
          onClose={close}
          onConfirm={async () => {
            await api('DELETE', `/apps/${dialog.app.app_id}`);
            close();
            await list.reload();
            finish(`App ${dialog.app.name} deleted. Its credentials no longer work.`);
          }}
        >
          <p>Partner API calls with its client ID and secret are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
