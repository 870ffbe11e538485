// A visitor's id as a 16-byte key on DuckDB, beside the id itself in `events` and `visitor_links`.
// An audience build groups tens of millions of page views by visitor and joins the visitors with
// their links; on a 32-character id every probe of those hash tables follows a pointer to the
// string and compares it, on a UUID it compares two integers (at 10M page views of 2.6M visitors,
// one DuckDB thread, the staging statement took 3.2-3.3 s against 4.0-4.4 s; docs/audiences.md).
//
// Only ids in the tracker's form, 32 lowercase hex digits, have a key: those and 128-bit numbers
// correspond one to one, so two rows share a key exactly when they share the id. Any other id (a
// server's own ids, an uppercase or hyphenated form, which are other visitors as far as the id's
// text is concerned) has none, and neither has a row without an id, or one stored before the column
// existed: readers take those rows by the id's text, as before, and add the two parts up.
//
// The key is computed by DuckDB where rows are written in SQL (the journal's move into `events`,
// the links' merge), so the event loop never sees it; the appender (stores without a journal)
// leaves it null.

/** The key's column in `events` and `visitor_links`. */
export const VISITOR_KEY = 'visitor_key';

/**
 * The key of a VARCHAR expression holding a visitor id, or NULL (see above). DuckDB's UUID parser
 * reads 32 hex digits without hyphens; of the 32-character strings it accepts no other form.
 */
export const visitorKeySql = (id: string): string =>
  `CASE WHEN length(${id}) = 32 AND ${id} = lower(${id}) THEN TRY_CAST(${id} AS UUID) END`;
