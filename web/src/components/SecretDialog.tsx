// Shows freshly created credentials exactly once. The values live only in this component's props
// (or in the creating dialog's state): when it closes they are gone from the page, and no API
// returns them again.
import { type ReactNode, useId, useState } from 'react';
import { ConfirmDialog, NameDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';
import { Dialog } from './Dialog';

export interface SecretValue {
  label: string;
  value: string;
  secret: boolean;
}

/** What a secret dialog shows: a page keeps it in its dialog state between creating and showing. */
export interface SecretShown {
  title: string;
  intro: string;
  values: SecretValue[];
}

export function SecretDialog({ title, intro, values, onClose }: SecretShown & { onClose: () => void }) {
  const id = useId();
  return (
    <Dialog title={title} onClose={onClose} wide>
      <p>{intro}</p>
      <div className="message message-warning" role="note">
        <strong>Copy the secret now. This is the only time it is shown.</strong> Delivr stores only a hash of it, so nobody can show it to
        you again. Keep it somewhere safe, like a password manager; if it is lost, rotate it to get a new one.
      </div>
      {values.map((v, i) => (
        <div className="field" key={v.label}>
          <label htmlFor={`${id}-${i}`}>{v.label}</label>
          <div className="secret-row">
            <input
              id={`${id}-${i}`}
              className="mono"
              readOnly
              value={v.value}
              spellCheck={false}
              autoComplete="off"
              onFocus={(e) => e.currentTarget.select()}
              data-secret={v.secret ? 'true' : undefined}
            />
            <CopyButton text={v.value} what={v.label} />
          </div>
        </div>
      ))}
      <div className="dialog-actions">
        <button type="button" className="button-primary" onClick={onClose} data-autofocus>
          I have saved it, close
        </button>
      </div>
    </Dialog>
  );
}

/**
 * Creating something that comes with a secret (an API key, an app): asks for its name, creates it,
 * then shows its credentials once in place of the form.
 */
export function CreateWithSecretDialog({
  create,
  onCreated,
  onClose,
  ...form
}: {
  title: string;
  submitLabel: string;
  label: string;
  hint: string;
  /** Creates it and says what to show. */
  create: (name: string) => Promise<SecretShown>;
  /** After the credentials are on screen (reload the list). */
  onCreated: () => Promise<void>;
  onClose: () => void;
}) {
  const [shown, setShown] = useState<SecretShown | null>(null);
  if (shown) return <SecretDialog {...shown} onClose={onClose} />;
  return (
    <NameDialog
      {...form}
      onClose={onClose}
      onSubmit={async (name) => {
        setShown(await create(name));
        await onCreated();
      }}
    />
  );
}

/**
 * Rotating a secret (an API key's, an app's): asks first (`children` say what stops working), then
 * shows the new secret once in place of the question.
 */
export function RotateSecretDialog({
  name,
  rotate,
  onRotated,
  onClose,
  children,
}: {
  /** What the secret belongs to, as the title names it. */
  name: string;
  /** Rotates it and says what to show. */
  rotate: () => Promise<SecretShown>;
  /** After the new secret is on screen (reload the list). */
  onRotated: () => Promise<void>;
  onClose: () => void;
  children: ReactNode;
}) {
  const [shown, setShown] = useState<SecretShown | null>(null);
  if (shown) return <SecretDialog {...shown} onClose={onClose} />;
  return (
    <ConfirmDialog
      title={`Rotate the secret of ${name}?`}
      confirmLabel="Rotate secret"
      onClose={onClose}
      onConfirm={async () => {
        setShown(await rotate());
        await onRotated();
      }}
    >
      {children}
    </ConfirmDialog>
  );
}
