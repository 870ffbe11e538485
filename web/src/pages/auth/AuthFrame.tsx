// The frame of the signed-out pages: a centered card with the brand.
import type { ReactNode } from 'react';
import { useTitle } from '../../lib/hooks';

export function AuthFrame({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  useTitle(title);
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <p className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true" />
          Delivr
        </p>
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {children}
      </div>
      {footer ? <div className="auth-footer">{footer}</div> : null}
    </main>
  );
}
