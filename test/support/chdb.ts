// chdb (a current ClickHouse engine in process) is not a dependency, about 550 MB: `.ci/run` installs
// it for the tests (`npm install --no-save chdb`). The current-ClickHouse contract and bench/stats
// load it here, and get null when it is missing.
import type { ClickHouseClientConfigOptions } from '@clickhouse/client';

export type ChdbConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;
export interface ChdbConnectionModule {
  createChdbConnection(opts: { path: string }): ChdbConnection;
}

export async function loadChdb(): Promise<ChdbConnectionModule | null> {
  // A variable specifier: the package is optional and has no types in this project.
  const specifier = 'chdb/connection';
  try {
    return (await import(specifier)) as ChdbConnectionModule;
  } catch {
    return null;
  }
}
