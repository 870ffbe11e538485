// The one contract every catalog backend must pass (SQLite and PostgreSQL today), so the Kysely
// stores cannot quietly behave differently on the two engines: same rows back, same types (epoch ms
// as numbers, flags as 0/1), same ordering, same constraints, same "only once" guarantees. Each
// feature's store has its own section under contract/, next to the feature it checks; this file
// runs them all against one backend.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog.js';
import { accountsContract } from './contract/accounts.js';
import { apiKeysContract } from './contract/api-keys.js';
import { appsContract } from './contract/apps.js';
import { audiencesContract } from './contract/audiences.js';
import { contractContext } from './contract/context.js';
import { erasuresContract } from './contract/erasures.js';
import { identityImportsContract } from './contract/identity-imports.js';
import { leasesContract } from './contract/leases.js';
import { membersContract } from './contract/members.js';
import { organizationsContract } from './contract/organizations.js';
import { pixelsContract } from './contract/pixels.js';
import { projectsContract } from './contract/projects.js';
import { sessionsContract } from './contract/sessions.js';
import { transactionsContract } from './contract/transactions.js';

/**
 * Registers the suite. `open` returns null when the backend is not configured (no server in this
 * environment); the suite is then skipped with a line saying why. Await it at the top level.
 */
export async function runCatalogContract(name: string, open: () => Promise<Catalog | null>): Promise<void> {
  const opened = await open();
  if (!opened) {
    console.log(`[catalog contract] ${name}: skipped, backend not configured`);
    describe.skip(`catalog contract: ${name} (not configured)`, () => {
      it('needs a configured backend', () => undefined);
    });
    return;
  }
  const c = contractContext(opened);

  describe(`catalog contract: ${name}`, () => {
    beforeAll(async () => {
      await opened.ping();
    });
    afterAll(async () => {
      await opened.db.destroy();
    });

    organizationsContract(c);
    accountsContract(c);
    membersContract(c);
    sessionsContract(c);
    apiKeysContract(c);
    appsContract(c);
    projectsContract(c);
    pixelsContract(c);
    leasesContract(c);
    identityImportsContract(c);
    audiencesContract(c);
    erasuresContract(c);
    transactionsContract(c);
  });
}
