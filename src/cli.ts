// The operator's command line: `delivr org create|list|resend-invite`. It uses the same config
// (environment variables and ./.env) and catalog services as the server, so it works on a laptop's
// SQLite files and on a production PostgreSQL alike. It opens only the catalog and the mailer, never
// the analytics store: DuckDB allows one process per file, and the server is usually running
// (`identities import` goes through the server's API, or opens the store only when told: --direct).
import { parseArgs } from 'node:util';
import { DEMO_USAGE, DemoUsageError, runDemoCli } from './demo/cli.js';
import { IMPORT_USAGE, ImportUsageError, runIdentitiesCli } from './identity-import/cli.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { loadEnvFile } from './platform/env-file.js';
import { ApiError } from './platform/errors.js';
import { createLogger } from './platform/logger.js';
import { unsupportedNode } from './platform/runtime.js';
import { createCatalogServices } from './services.js';
import { runTopicsCli, TOPICS_USAGE, TopicsUsageError } from './taxonomy/cli.js';

const USAGE = `Usage:
  delivr org create --name <name> --owner-email <email>
  delivr org list [--json]
  delivr org resend-invite --org <organization_id> --email <email>
${TOPICS_USAGE}
${IMPORT_USAGE}
${DEMO_USAGE}

Settings come from the same environment variables as the server (DATA_DIR, DATABASE_URL,
PORT, PUBLIC_URL, SMTP_URL, ...), and from a .env file in the working directory for those the
environment does not set. Without SMTP_URL, invitations are written to DATA_DIR/outbox.

Exit status: 0 done; 2 the command, a value or a setting is wrong (nothing was changed);
1 the command was right but failed (database or mail server unreachable, ...).`;

const COMMANDS = ['create', 'list', 'resend-invite'] as const;
type Command = (typeof COMMANDS)[number];

class UsageError extends Error {}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parse(argv: string[]): { command: Command; values: Record<string, string | boolean | undefined> } {
  const [group, command, ...rest] = argv;
  if (group !== 'org') throw new UsageError(group === undefined ? 'missing command' : `unknown command "${group}"`);
  if (!command || !(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(command ? `unknown command "org ${command}"` : 'missing command after "org"');
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' },
        'owner-email': { type: 'string' },
        org: { type: 'string' },
        email: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (command === 'create' && (!values.name || !values['owner-email'])) throw new UsageError('org create needs --name and --owner-email');
  if (command === 'resend-invite' && (!values.org || !values.email)) throw new UsageError('org resend-invite needs --org and --email');
  return { command: command as Command, values };
}

/** In outbox mode the CLI prints the accept link, since nobody is reading the server's log for it. */
function linkKeeping(mailer: Mailer): { mailer: Mailer; links: string[] } {
  const links: string[] = [];
  return {
    links,
    mailer: {
      async send(message) {
        await mailer.send(message);
        links.push(message.link);
      },
      close: () => mailer.close(),
    },
  };
}

export async function runCli(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[1] === 'help') {
    out(USAGE);
    return 0;
  }
  const oldNode = unsupportedNode();
  if (oldNode) throw new ConfigError(oldNode);
  // Every command reads the same settings as the server: the environment, then ./.env.
  loadEnvFile();
  if (argv[0] === 'topics') {
    const services = await createCatalogServices(loadConfig(), createLogger(process.env.LOG_LEVEL || 'warn'), { catalogPoolSize: 2 });
    return runTopicsCli(argv.slice(1), services.taxonomy, out).finally(() => services.close());
  }
  if (argv[0] === 'identities') return runIdentitiesCli(argv.slice(1), { out, err: process.stderr, env: process.env });
  if (argv[0] === 'demo') return runDemoCli(argv.slice(1), out);
  const { command, values } = parse(argv);
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL || 'warn');
  const { mailer, links } = linkKeeping(createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, log }));
  const printLinks = (): void => {
    if (config.smtpUrl) return;
    for (const link of links) out(`No SMTP_URL is set: the email is in ${config.dataDir}/outbox. Accept link: ${link}`);
  };
  // The CLI leaves the analytics store alone (DuckDB allows one process per file, and the server is
  // usually running): the catalog services are all it needs.
  const s = await createCatalogServices(config, log, { mailer, catalogPoolSize: 2 });
  try {
    if (command === 'create') {
      const { organization, invite } = await s.organizations.createWithOwnerInvite({
        name: String(values.name),
        ownerEmail: String(values['owner-email']),
      });
      out(`Created organization "${organization.name}" (${organization.id}).`);
      out(`Invitation sent to ${invite.email}; it expires ${new Date(invite.expires_at).toISOString()}.`);
      printLinks();
      return 0;
    }
    if (command === 'list') {
      const orgs = await s.organizations.list();
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
    const invite = await s.members.resendInvite({ organizationId: String(values.org), email: String(values.email), actor: null });
    out(`Invitation re-sent to ${invite.email}; the previous link no longer works.`);
    printLinks();
    return 0;
  } finally {
    await s.close();
  }
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof TopicsUsageError) process.stderr.write(`delivr: ${err.message}\n\n${USAGE}\n`);
    if (err instanceof UsageError || err instanceof ImportUsageError || err instanceof DemoUsageError)
      process.stderr.write(`delivr: ${err.message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError) process.stderr.write(`delivr: configuration error: ${err.message}\n`);
    else if (err instanceof ApiError) process.stderr.write(`delivr: ${err.message}${err.details ? ` (${err.details})` : ''}\n`);
    else process.stderr.write(`delivr: ${err instanceof Error ? err.stack : String(err)}\n`);
    // 2: fix the command line (a refused value or an unknown organization is the caller's to fix);
    // 1: the command was fine and something failed, a retry may work.
    const callersFault =
      err instanceof UsageError ||
      err instanceof TopicsUsageError ||
      err instanceof ImportUsageError ||
      err instanceof DemoUsageError ||
      err instanceof ConfigError ||
      (err instanceof ApiError && err.status < 500);
    process.exit(callersFault ? 2 : 1);
  },
);
