// Positional parameters with explicit types for DuckDB statements, so nothing a caller sends is ever
// spliced into SQL. One class for every DuckDB module (events, intent, stats).
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';

export class Params {
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];

  add(value: DuckDBValue, type: DuckDBType): string {
    this.values.push(value);
    this.types.push(type);
    return `$${this.values.length}`;
  }
}
