// /{org_id}/settings/api-keys: the organization's API keys. Creating a key or rotating its secret
// shows the secret once, in a dialog; afterwards only the key's prefix is ever shown. Owners and
// admins only: the API answers 403 to members, and the page says so instead of calling it. Below the
// keys, the organization's policy: whether a key must send its secret (on by default; an owner may
// turn it off, after a warning, for an integration that can only send the key).
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Dialog } from '../components/Dialog';
import { CreateWithSecretDialog, RotateSecretDialog } from '../components/SecretDialog';
import { Badge, DataTable, ErrorMessage, ListPage, Loading, PageHeader, RowAction, TableHead } from '../components/ui';
import { api } from '../lib/api';
import { formatDate, formatDateSeconds } from '../lib/format';
import { useDialogs, useResource } from '../lib/hooks';
import { canChangeKeyPolicy, canManageKeys } from '../lib/permissions';
import type {
  AccessLogBody,
  ApiKey,
  ApiKeyCreatedBody,
  ApiKeyListBody,
  ApiKeyRotatedBody,
  ApiKeySettings,
  OrganizationRef,
} from '../lib/types';

type Dialogs = { kind: 'create' } | { kind: 'revoke' | 'rotate' | 'log'; key: ApiKey };

export function ApiKeysPage({ org }: { org: OrganizationRef }) {
  if (!canManageKeys(org.role)) {
    return (
      <>
        <PageHeader title="API keys" />
        <div className="message message-error" role="alert">
          Only owners and admins of {org.name} can see and create API keys. Ask one of them for a key, or for the admin role.
        </div>
      </>
    );
  }
  return <ApiKeysManager org={org} />;
}

function ApiKeysManager({ org }: { org: OrganizationRef }) {
  const base = `/orgs/${org.organization_id}/api-keys`;
  const list = useResource(() => api<ApiKeyListBody>('GET', base), [base]);
  const { dialog, done, start, open, close, finish } = useDialogs<Dialogs>();
  const keys = list.data?.keys ?? [];

  return (
    <>
      <ListPage
        title="API keys"
        description={
          <>
            An API key and its secret give code access to {org.name}'s data: events, audiences, taxonomy and identity lookup, for every
            project. Send them as <code>X-Api-Key</code> and <code>X-Api-Secret</code> headers.
          </>
        }
        create={{ label: 'Create key', onClick: () => start({ kind: 'create' }) }}
        notices={[done]}
        resource={list}
        items={keys}
        empty={{
          title: 'No API keys yet',
          text: "Create a key to query events and audiences from your own code. You'll see its secret once, right after creating it.",
        }}
      >
        <DataTable caption="API keys" columns={['Name', 'Key', 'Created', 'Last used', 'Status']}>
          {keys.map((k) => (
            <tr key={k.key_id}>
              <th scope="row">{k.name}</th>
              <td data-label="Key">
                <code>{k.key_prefix}</code>
              </td>
              <td data-label="Created">{formatDate(k.created_at)}</td>
              <td data-label="Last used">{k.last_used_at ? formatDate(k.last_used_at) : 'Never'}</td>
              <td data-label="Status" className="status-cell">
                {k.status === 'active' ? (
                  <Badge tone="good">Active</Badge>
                ) : (
                  // The date under the badge, not in it: a badge never wraps, and pushed the buttons off screen.
                  <>
                    <Badge tone="bad">Revoked</Badge>
                    {k.revoked_at ? <span className="small muted"> {formatDate(k.revoked_at)}</span> : null}
                  </>
                )}
              </td>
              <td className="actions">
                <RowAction label="Access log" name={`Access log of ${k.name}`} onClick={() => open({ kind: 'log', key: k })} />
                {k.status === 'active' ? (
                  <>
                    <RowAction label="Rotate secret" name={`Rotate secret of ${k.name}`} onClick={() => open({ kind: 'rotate', key: k })} />
                    <RowAction label="Revoke" name={`Revoke ${k.name}`} tone="danger" onClick={() => open({ kind: 'revoke', key: k })} />
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      </ListPage>

      {dialog?.kind === 'create' ? (
        <CreateWithSecretDialog
          title="Create API key"
          submitLabel="Create key"
          label="Key name"
          hint="Say where it is used, for example “CRM sync” or “Data warehouse”."
          create={async (name) => {
            const r = await api<ApiKeyCreatedBody>('POST', base, { name });
            return {
              title: 'Your new API key',
              intro: `Key "${r.key.name}" is ready. Use both values together on every data API request.`,
              values: [
                { label: 'API key', value: r.api_key, secret: false },
                { label: 'API secret', value: r.api_secret, secret: true },
              ],
            };
          }}
          onCreated={list.reload}
          onClose={close}
        />
      ) : null}

      {dialog?.kind === 'rotate' ? (
        <RotateSecretDialog
          name={dialog.key.name}
          rotate={async () => {
            const r = await api<ApiKeyRotatedBody>('POST', `${base}/${dialog.key.key_id}/rotate`);
            return {
              title: 'Your new API secret',
              intro: `The secret of "${r.key.name}" is replaced. The API key stays the same (${r.key.key_prefix}).`,
              values: [{ label: 'API secret', value: r.api_secret, secret: true }],
            };
          }}
          onRotated={list.reload}
          onClose={close}
        >
          <p>
            A new secret is made and the current one stops working right away. Update every place that uses this key with the new secret.
          </p>
        </RotateSecretDialog>
      ) : null}

      {dialog?.kind === 'revoke' ? (
        <ConfirmDialog
          title={`Revoke ${dialog.key.name}?`}
          confirmLabel="Revoke key"
          onClose={close}
          onConfirm={async () => {
            await api('POST', `${base}/${dialog.key.key_id}/revoke`);
            close();
            await list.reload();
            finish(`Key ${dialog.key.name} is revoked. Requests with it are refused from now on.`);
          }}
        >
          <p>Requests with this key are refused from now on. This cannot be undone: to use the API again, create a new key.</p>
        </ConfirmDialog>
      ) : null}

      <SecretPolicy org={org} />

      {dialog?.kind === 'log' ? (
        <AccessLogDialog
          base={base}
          apiKey={dialog.key}
          onClose={() => {
            close();
            // "Last used" may have moved on since the list loaded.
            void list.reload();
          }}
        />
      ) : null}
    </>
  );
}

/** The organization's secret_required setting: shown to owners and admins, changed by owners after a confirmation. */
function SecretPolicy({ org }: { org: OrganizationRef }) {
  const url = `/orgs/${org.organization_id}/api-key-settings`;
  const settings = useResource(() => api<ApiKeySettings>('GET', url), [url]);
  const { dialog, done, open, close, finish } = useDialogs<{ kind: 'off' | 'on' }>();
  const required = settings.data?.secret_required;
  const mayChange = canChangeKeyPolicy(org.role);

  const change = async (secretRequired: boolean) => {
    await api<ApiKeySettings>('PATCH', url, { secret_required: secretRequired });
    await settings.reload();
    finish(
      secretRequired
        ? 'Every request now needs the API secret. Requests with a key alone are refused.'
        : `Keys of ${org.name} now work without their secret. Turn this back on once your integration sends it.`,
    );
  };

  return (
    <section className="section card" aria-labelledby="secret-policy-title">
      <div className="card-head">
        <h2 id="secret-policy-title">Require the API secret</h2>
        {required === undefined ? null : required ? <Badge tone="good">Required</Badge> : <Badge tone="bad">Not required</Badge>}
      </div>
      <ErrorMessage>{settings.error}</ErrorMessage>
      {done ? (
        <p className="message message-info" role="status">
          {done}
        </p>
      ) : null}
      {required === undefined ? (
        settings.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <div className="checkbox">
            <input
              id="secret-required"
              type="checkbox"
              role="switch"
              aria-checked={required}
              checked={required}
              disabled={!mayChange}
              aria-describedby="secret-required-hint"
              onChange={(e) => open({ kind: e.target.checked ? 'on' : 'off' })}
            />
            <label htmlFor="secret-required">Every request must send X-Api-Secret with its X-Api-Key</label>
          </div>
          <p className="hint" id="secret-required-hint">
            {required
              ? 'Recommended. A request with a key but no secret is refused with 401 “API secret is required”.'
              : `Off: a key alone reads ${org.name}'s data. Keep this off only while an older integration cannot send the secret.`}
            {mayChange ? '' : ' Only owners can change this.'}
          </p>
        </>
      )}

      {dialog?.kind === 'off' ? (
        <ConfirmDialog
          title="Let keys work without their secret?"
          confirmLabel="Allow keys without the secret"
          onClose={close}
          onConfirm={() => change(false)}
        >
          <div className="message message-warning" role="note">
            <strong>Anyone who has seen one of {org.name}'s API keys could then read its data.</strong> Keys are not secret: they show up in
            logs, dashboards, screenshots and support tickets. With this off, the key alone is enough for events, audiences and identity
            lookups.
          </div>
          <p>
            Do this only for an integration written for the older, key-only API that cannot send <code>X-Api-Secret</code>, and turn it back
            on as soon as it can. Every key of the organization is affected.
          </p>
        </ConfirmDialog>
      ) : null}

      {dialog?.kind === 'on' ? (
        <ConfirmDialog
          title="Require the secret again?"
          confirmLabel="Require the secret"
          destructive={false}
          onClose={close}
          onConfirm={() => change(true)}
        >
          <p>
            From now on a request that sends only <code>X-Api-Key</code> is refused with 401 “API secret is required”. Make sure every
            integration sends <code>X-Api-Secret</code> too.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function AccessLogDialog({ base, apiKey, onClose }: { base: string; apiKey: ApiKey; onClose: () => void }) {
  const log = useResource(() => api<AccessLogBody>('GET', `${base}/${apiKey.key_id}/access-log?limit=100`), [base, apiKey.key_id]);
  // The log has no ids; its position is a stable key for one rendering of a fetched page.
  const entries = (log.data?.entries ?? []).map((e, position) => ({ ...e, position }));
  return (
    <Dialog title={`Access log of ${apiKey.name}`} onClose={onClose} wide>
      <p>The latest requests made with this key, newest first: one line per request, result and minute, with how many there were.</p>
      <ErrorMessage>{log.error}</ErrorMessage>
      {log.loading && !log.data ? (
        <Loading />
      ) : entries.length === 0 && !log.error ? (
        <p className="empty-inline">No requests with this key yet.</p>
      ) : entries.length > 0 ? (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Requests made with {apiKey.name}</caption>
            <TableHead columns={['Time', 'Request', 'Result', 'Requests', 'IP address']} />
            <tbody>
              {entries.map((e) => (
                <tr key={e.position}>
                  <td>{formatDateSeconds(e.time)}</td>
                  <td>
                    <code>
                      {e.method} {e.path}
                    </code>
                  </td>
                  <td>
                    <Badge tone={e.status < 400 ? 'good' : 'bad'}>{outcome(e.status)}</Badge>
                  </td>
                  <td>{e.count}</td>
                  <td>{e.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={() => void log.reload()}>
          Refresh
        </button>
        <button type="button" className="button-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function outcome(status: number): string {
  if (status < 400) return `Answered (${status})`;
  if (status === 401 || status === 403) return `Refused (${status})`;
  if (status === 429) return `Rate limited (${status})`;
  return `Failed (${status})`;
}
