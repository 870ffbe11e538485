// The operator's command line: `delivr org create|list|resend-invite`. It uses the same config
// (environment variables) and services as the server, so it works on a laptop's SQLite files and on
// a production PostgreSQL alike.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './platform/config.js';
import { ApiError } from './platform/errors.js';
import { createLogger } from './platform/logger.js';
import { createServices } from './services.js';

const USAGE = `Usage:
  delivr org create --name <name> --owner-email <email>
  delivr org list [--json]
  delivr org resend-invite --org <organization_id> --email <email>

Settings come from the same environment variables as the server (DATA_DIR, DATABASE_URL,
PUBLIC_URL, SMTP_URL, ...). Without SMTP_URL, invitations are written to DATA_DIR/outbox.`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runCli(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group !== 'org' || !command || command === 'help' || argv.includes('--help')) {
    out(USAGE);
    return group === undefined || argv.includes('--help') || command === 'help' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      'owner-email': { type: 'string' },
      org: { type: 'string' },
      email: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const config = loadConfig();
  const services = await createServices(config, createLogger(process.env.LOG_LEVEL || 'warn'));
  try {
    if (command === 'create') {
      if (!values.name || !values['owner-email']) throw new UsageError('org create needs --name and --owner-email');
      const { organization, invite } = await services.accounts.createOrganization({ name: values.name, ownerEmail: values['owner-email'] });
      out(`Created organization "${organization.name}" (${organization.id}).`);
      out(`Invitation sent to ${invite.email}; it expires ${new Date(invite.expires_at).toISOString()}.`);
      if (!config.smtpUrl) out(`No SMTP_URL is set: the email is in ${config.dataDir}/outbox.`);
      return 0;
    }
    if (command === 'list') {
      const orgs = await services.store.listOrganizations();
      if (values.json) {
        out(
          JSON.stringify(
            orgs.map((o) => ({ organization_id: o.id, name: o.name, status: o.status, created_at: new Date(o.created_at).toISOString() })),
          ),
        );
      } else if (orgs.length === 0) {
        out('No organizations yet. Create one with: delivr org create --name <name> --owner-email <email>');
      } else {
        for (const o of orgs) out(`${o.id}  ${o.status.padEnd(8)}  ${new Date(o.created_at).toISOString().slice(0, 10)}  ${o.name}`);
      }
      return 0;
    }
    if (command === 'resend-invite') {
      if (!values.org || !values.email) throw new UsageError('org resend-invite needs --org and --email');
      const invite = await services.accounts.resendInvite({ organizationId: values.org, email: values.email, actor: null });
      out(`Invitation re-sent to ${invite.email}; the previous link no longer works.`);
      return 0;
    }
    throw new UsageError(`unknown command "org ${command}"`);
  } finally {
    await services.close();
  }
}

class UsageError extends Error {}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`delivr: ${err.message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError) process.stderr.write(`delivr: configuration error: ${err.message}\n`);
    else if (err instanceof ApiError) process.stderr.write(`delivr: ${err.message}${err.details ? ` (${err.details})` : ''}\n`);
    else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
      process.stderr.write(`delivr: ${err.message}\n\n${USAGE}\n`);
    else process.stderr.write(`delivr: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(err instanceof ApiError || err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
  },
);
