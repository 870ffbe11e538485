// Settings from a `.env` file in the working directory, loaded by both entry points (the server and
// the `delivr` CLI) before the config is read, so both see the same PORT, PUBLIC_URL, DATA_DIR...:
// without it, an operator who starts the server on another port gets invitation links from the CLI
// that point at the default one. The real environment wins over the file, as with `node --env-file`
// and the dotenv convention, so a deployment can override a checked-in file.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config.js';

/** Adds the variables of `dir/.env` that `env` does not already set; returns the file's path, or null when there is none. */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, dir = process.cwd()): string | null {
  const file = resolve(dir, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] === undefined) env[name] = value;
  }
  return file;
}
