// Table shapes of the accounts' own catalog tables, merged into CatalogDb so the one Kysely instance
// types every query: sign-ups waiting for their emailed confirmation (LOGIN_HIDE_UNKNOWN_USERS=true).

export interface SignupRequestsTable {
  id: string;
  /** Normalised. */
  email: string;
  token_hash: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  organization_name: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AccountTables {
  signup_requests: SignupRequestsTable;
}
