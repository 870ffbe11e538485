// Time formats on the wire: Partner API and API clients use "YYYY-MM-DD HH:MM:SS" (UTC);
// storage keeps epoch milliseconds everywhere.

export const nowMs = (): number => Date.now();

/** "2026-01-01 10:00:00" (UTC), Delivr's Partner API timestamp format. */
export function formatSqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export const formatIso = (ms: number): string => new Date(ms).toISOString();
