// Identity import on DuckDB without JavaScript in the row path: a piece of a CSV upload (rows in the
// header's column order, no header) is parsed by DuckDB's own read_csv, and each row is checked,
// normalised (trim, lowercase) and hashed (sha256, md5, sha1) in SQL. The SQL checks are a
// sufficient condition only: a row they accept is one identity-import/rows.ts accepts, with the same
// values; any other row (a rejected one, or one whose text SQL cannot judge exactly like JavaScript,
// such as a non-ASCII email) is handed back with its cells, and the import service runs it through
// rows.ts. So the stored profiles and the rejected rows' reasons are those of the JavaScript path by
// construction. The staged rows are then merged like mergeProfiles and linkVisitors merge theirs.
import { IDENTITY_FIELDS, type IdentityField } from '../identity/fields.js';
import { MAX_EMAIL_CHARS, MAX_TEXT_CHARS, MAX_VISITOR_ID_CHARS, TRIMMED_CHARS } from '../identity-import/rows.js';

/** Columns of a conversion table, in order: the row index, whether SQL accepted it, then the values. */
export const CONVERTED_COLUMNS: readonly { name: string; type: 'BIGINT' | 'BOOLEAN' | 'VARCHAR' }[] = [
  { name: 'idx', type: 'BIGINT' },
  { name: 'ok', type: 'BOOLEAN' },
  { name: 'hem_sha256', type: 'VARCHAR' },
  { name: 'hem_md5', type: 'VARCHAR' },
  { name: 'hem_sha1', type: 'VARCHAR' },
  ...IDENTITY_FIELDS.map((f) => ({ name: f.key, type: f.data_type === 'Int64' ? ('BIGINT' as const) : ('VARCHAR' as const) })),
  { name: 'visitor_id', type: 'VARCHAR' },
];

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The characters String.prototype.trim removes, as an RE2 class. */
const TRIM_CLASS = `[${[...TRIMMED_CHARS].map((c) => `\\x{${(c.codePointAt(0) as number).toString(16)}}`).join('')}]`;

/**
 * A cell trimmed as rows.ts trims it (String.prototype.trim), empty as NULL. Most cells begin and
 * end with a printable ASCII character and need nothing (a byte comparison, and an expression
 * anchored at the end: cheaper than extracting the last character); the others go through a regular
 * expression (DuckDB's trim(s, characters) costs eight times more).
 */
const trimmed = (c: string): string =>
  `CASE WHEN ${c} >= '!' AND ${c} < chr(127) AND regexp_matches(${c}, '[!-~]$') THEN ${c} ` +
  `ELSE nullif(regexp_replace(${c}, '^${TRIM_CLASS}+|${TRIM_CLASS}+$', '', 'g'), '') END`;

/** An address rows.ts accepts when it is ASCII: isEmailLike's shape, JavaScript's \s spelled out, and no NUL. */
const EMAIL_SHAPE = literal('[^\\t\\n\\x0B\\f\\r @\\x00]+@[^\\t\\n\\x0B\\f\\r @\\x00]+\\.[^\\t\\n\\x0B\\f\\r @\\x00]+');

/** read_csv's options for a piece: exactly RFC 4180 as the splitter checked it, nothing guessed. */
export function readCsvSql(columns: readonly string[], newline: '\n' | '\r\n'): string {
  const types = columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  return (
    `read_csv($1, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `new_line = ${newline === '\n' ? "'\\n'" : "'\\r\\n'"}, columns = {${types}}, strict_mode = true, ` +
    `null_padding = false, ignore_errors = false, compression = 'none', encoding = 'utf-8')`
  );
}

/**
 * The conversion of a raw table (columns c0.. in `columns` order, rowid the row's index in the
 * piece) into CONVERTED_COLUMNS: the values rows.ts would produce, and `ok` when SQL can vouch that
 * rows.ts accepts the row with exactly these values.
 */
export function convertSql(columns: readonly string[], raw: string): string {
  const at = (name: string): number => columns.indexOf(name);
  const t = (name: string): string | null => (at(name) === -1 ? null : `t${at(name)}`);
  const cells = columns.map((_, i) => `${trimmed(`c${i}`)} AS t${i}`).join(', ');

  const checks: string[] = [];
  const text = (v: string, max: number): string => `(${v} IS NULL OR (strlen(${v}) <= ${max} AND NOT contains(${v}, chr(0))))`;

  // Identification: the email (ASCII only: lower() and JavaScript's toLowerCase agree there), or the HEMs.
  const hem = { sha256: t('hem_sha256'), md5: t('hem_md5'), sha1: t('hem_sha1') };
  const hex = { sha256: 64, md5: 32, sha1: 40 } as const;
  for (const kind of ['sha256', 'md5', 'sha1'] as const) {
    const v = hem[kind];
    if (v) checks.push(`(${v} IS NULL OR regexp_full_match(${v}, '[0-9a-fA-F]{${hex[kind]}}'))`);
  }
  const email = t('email');
  const given = (kind: 'sha256' | 'md5' | 'sha1'): string => (hem[kind] ? `lower(${hem[kind]})` : 'NULL::VARCHAR');
  const fromEmail = { sha256: 'sha256(le)', md5: 'md5(le)', sha1: 'sha1(le)' };
  const byHems = `${hem.sha256 ?? 'NULL'} IS NOT NULL AND ${hem.md5 ?? 'NULL'} IS NOT NULL`;
  if (email) {
    const matches = (['sha256', 'md5', 'sha1'] as const)
      .filter((k) => hem[k])
      .map((k) => ` AND (${hem[k]} IS NULL OR lower(${hem[k]}) = ${fromEmail[k]})`)
      .join('');
    checks.push(
      `CASE WHEN ${email} IS NOT NULL THEN strlen(${email}) <= ${MAX_EMAIL_CHARS} AND strlen(${email}) = length(${email}) ` +
        `AND regexp_full_match(${email}, ${EMAIL_SHAPE})${matches} ELSE ${byHems} END`,
    );
  } else {
    checks.push(byHems);
  }
  const hemValue = (kind: 'sha256' | 'md5' | 'sha1'): string =>
    email ? `CASE WHEN ${email} IS NOT NULL THEN ${fromEmail[kind]} ELSE ${given(kind)} END` : given(kind);

  const values: string[] = [hemValue('sha256'), hemValue('md5'), hemValue('sha1')];
  for (const field of IDENTITY_FIELDS) {
    const v = t(field.key);
    if (!v) {
      values.push(field.data_type === 'Int64' ? 'NULL::BIGINT' : 'NULL::VARCHAR');
      continue;
    }
    const { value, check } = fieldSql(field, v, text);
    values.push(value);
    checks.push(check);
  }
  const visitor = t('visitor_id');
  values.push(visitor ?? 'NULL::VARCHAR');
  if (visitor) checks.push(text(visitor, MAX_VISITOR_ID_CHARS));

  const names = CONVERTED_COLUMNS.slice(2).map((c) => quote(c.name));
  return (
    `SELECT idx, ${checks.join(' AND ')} AS ok, ${values.map((v, i) => `${v} AS ${names[i]}`).join(', ')} ` +
    `FROM (SELECT *, ${email ? `lower(${email})` : 'NULL::VARCHAR'} AS le FROM (SELECT rowid AS idx, ${cells} FROM ${raw}))`
  );
}

function fieldSql(field: IdentityField, v: string, text: (v: string, max: number) => string): { value: string; check: string } {
  if (field.field_type === 'number') {
    // rows.ts: /^\d{1,16}$/ and a safe integer.
    return {
      value: `TRY_CAST(${v} AS BIGINT)`,
      check: `(${v} IS NULL OR (regexp_full_match(${v}, '[0-9]{1,16}') AND TRY_CAST(${v} AS BIGINT) <= ${Number.MAX_SAFE_INTEGER}))`,
    };
  }
  if (field.options) {
    // Matched without case on ASCII text only (lower() and toLowerCase differ beyond it); the option's own value is stored.
    const options = field.options.map((o) => `WHEN ${literal(o.value.toLowerCase())} THEN ${literal(o.value)}`).join(' ');
    return {
      value: `CASE lower(${v}) ${options} END`,
      check: `(${v} IS NULL OR (strlen(${v}) = length(${v}) AND lower(${v}) IN (${field.options.map((o) => literal(o.value.toLowerCase())).join(', ')})))`,
    };
  }
  return { value: v, check: text(v, MAX_TEXT_CHARS) };
}

/**
 * The staged rows that SQL accepted, one per person: for each column the value of the person's last
 * row that has one (a later non-empty value wins, an empty one never erases), as mergePatches does.
 * Only the people named more than once are grouped (grouping every row cost more than the rest of
 * the merge); the others are copied as they are. `$1` is the organization, `$2` the time.
 */
export function dedupeSql(conv: string, profileColumns: readonly string[]): string {
  const grouped = profileColumns.map((name) => {
    if (name === 'hem_sha256') return 's.hem_sha256';
    if (name === 'updated_at') return '$2';
    const c = `s.${quote(name)}`;
    return `arg_max(${c}, s.idx) FILTER (WHERE ${c} IS NOT NULL)`;
  });
  return (
    `WITH twice AS MATERIALIZED (SELECT hem_sha256 FROM ${conv} WHERE ok GROUP BY hem_sha256 HAVING count(*) > 1) ` +
    `${peopleSql(conv, profileColumns, 'ANTI JOIN twice USING (hem_sha256)')} ` +
    `UNION ALL SELECT $1, ${grouped.join(', ')} FROM ${conv} s SEMI JOIN twice USING (hem_sha256) WHERE s.ok GROUP BY s.hem_sha256`
  );
}

/**
 * The staged rows that SQL accepted as profile rows (`$1` the organization, `$2` the time), as they
 * are: the merge when nobody is named twice (repeatedSql), and dedupeSql's rows of the others.
 */
export function peopleSql(conv: string, profileColumns: readonly string[], join = ''): string {
  const columns = profileColumns.map((name) => (name === 'updated_at' ? '$2::BIGINT AS updated_at' : `s.${quote(name)}`));
  return `SELECT $1::VARCHAR AS organization_id, ${columns.join(', ')} FROM ${conv} s ${join} WHERE s.ok`;
}

/** How many people the staged rows name more than once, and how many rows SQL accepted. */
export function repeatedSql(conv: string): string {
  return `SELECT count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM ${conv} WHERE ok GROUP BY hem_sha256)`;
}

/** One link per visitor of the staged rows: the person of the visitor's last row. */
export function linksSql(conv: string): string {
  return `SELECT $1, visitor_id, arg_max(hem_sha256, idx), 'import', $2, $2 FROM ${conv} WHERE ok AND visitor_id IS NOT NULL GROUP BY visitor_id`;
}
