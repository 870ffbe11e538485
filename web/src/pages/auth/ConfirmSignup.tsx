// The emailed sign-up link (/confirm-signup/{token}), sent when the server hides which emails have
// accounts (LOGIN_HIDE_UNKNOWN_USERS): one button finishes the sign-up and signs the person in. A
// button and not an automatic request, so a mail scanner that opens links does not use it up.
import { ErrorMessage } from '../../components/ui';
import { api } from '../../lib/api';
import { useAction } from '../../lib/hooks';
import { Link } from '../../lib/router';
import type { Session } from '../../lib/types';
import { AuthFrame } from './AuthFrame';

export function ConfirmSignupPage({ token, onSignedIn }: { token: string; onSignedIn: (s: Session) => void }) {
  const { busy, error, run } = useAction();
  return (
    <AuthFrame title="Finish signing up" footer={<Link to="/sign-in">Go to sign in</Link>}>
      <p>Your email is confirmed by this link. Create your account and organization with the details you entered.</p>
      <ErrorMessage>{error}</ErrorMessage>
      <button
        type="button"
        className="button-primary button-block"
        disabled={busy}
        onClick={() => void run(async () => onSignedIn(await api<Session>('POST', '/signup/confirm', { token })))}
      >
        {busy ? 'Creating your account…' : 'Create my account'}
      </button>
    </AuthFrame>
  );
}
