// The field catalog (spec section 10): every field a filter rule can name, with its category, type,
// operators and picklist options. Generated from the same definitions as the stores and the Events
// API (identity/fields.ts, analytics/types.ts), so what it lists is exactly what they accept.
import { EVENT_FIELDS } from '../analytics/types.js';
import {
  type FieldCategory,
  type FieldOption,
  type FieldType,
  HEM_FIELDS,
  IDENTITY_FIELDS,
  OPERATORS,
  uuidV5,
} from '../identity/fields.js';

export type SchemaType = 'event' | 'audience';

export interface CatalogField {
  id: string;
  field_key: string;
  display_name: string;
  description: string;
  category: FieldCategory;
  data_type: 'string' | 'integer' | 'boolean';
  schema_types: SchemaType[];
  field_type: FieldType;
  operators: string[];
  options?: FieldOption[];
  status: 'active' | 'deprecated';
  sort_order: number;
  created_at: string;
  updated_at: string;
}

/** When this catalog's definitions were first published; changes bump updated_at in the code. */
const CREATED_AT = '2026-11-29T00:00:00Z';

const DATA_TYPE = { Utf8: 'string', Int64: 'integer', Int32: 'integer', Boolean: 'boolean' } as const;

const titleCase = (key: string): string =>
  key
    .split('_')
    .map((w) => (w === 'id' ? 'ID' : w === 'utm' ? 'UTM' : w === 'ip' ? 'IP' : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');

function build(): CatalogField[] {
  const out: CatalogField[] = [];
  let order = 0;
  const push = (f: Omit<CatalogField, 'id' | 'status' | 'sort_order' | 'created_at' | 'updated_at'>) => {
    order += 1;
    out.push({
      id: uuidV5(`field:${f.field_key}`),
      ...f,
      status: 'active',
      sort_order: order,
      created_at: CREATED_AT,
      updated_at: CREATED_AT,
    });
  };
  for (const f of [...HEM_FIELDS, ...IDENTITY_FIELDS]) {
    push({
      field_key: f.key,
      display_name: f.display_name,
      description: f.description,
      category: f.category,
      data_type: DATA_TYPE[f.data_type],
      schema_types: f.category === 'identifier' ? ['audience'] : ['event', 'audience'],
      field_type: f.field_type,
      operators: [...OPERATORS[f.field_type]],
      ...(f.options ? { options: [...f.options] } : {}),
    });
  }
  const identityKeys = new Set([...HEM_FIELDS, ...IDENTITY_FIELDS].map((f) => f.key));
  for (const f of EVENT_FIELDS) {
    if (identityKeys.has(f.name)) continue;
    const fieldType: FieldType = f.data_type === 'Boolean' ? 'boolean' : f.data_type === 'Utf8' ? 'text' : 'number';
    push({
      field_key: f.name,
      display_name: titleCase(f.name),
      description: `Event column ${f.name}`,
      category: 'event',
      data_type: DATA_TYPE[f.data_type],
      schema_types: ['event'],
      field_type: fieldType,
      operators: [...OPERATORS[fieldType]].filter((o) => o !== 'in' && o !== 'notin'),
    });
  }
  return out;
}

let catalog: CatalogField[] | null = null;

export function fieldCatalog(): readonly CatalogField[] {
  catalog ??= build();
  return catalog;
}

export interface CatalogFilters {
  schema_type?: SchemaType;
  category?: FieldCategory;
  status?: 'active' | 'deprecated' | 'all';
  include_options?: boolean;
}

/** The catalog for a request's query string (`include_options` is the text "true"), on every surface alike. */
export function listFieldsFor(q: {
  schema_type?: CatalogFilters['schema_type'];
  category?: CatalogFilters['category'];
  status?: CatalogFilters['status'];
  include_options?: 'true' | 'false';
}): { total_count: number; fields: CatalogField[] } {
  return listFields({
    ...(q.schema_type ? { schema_type: q.schema_type } : {}),
    ...(q.category ? { category: q.category } : {}),
    ...(q.status ? { status: q.status } : {}),
    include_options: q.include_options === 'true',
  });
}

export function listFields(f: CatalogFilters): { total_count: number; fields: CatalogField[] } {
  const status = f.status ?? 'active';
  const fields = fieldCatalog()
    .filter((x) => !f.schema_type || x.schema_types.includes(f.schema_type))
    .filter((x) => !f.category || x.category === f.category)
    .filter((x) => status === 'all' || x.status === status)
    .map((x) => {
      if (f.include_options || !x.options) return x;
      const { options: _omit, ...rest } = x;
      return rest;
    });
  return { total_count: fields.length, fields };
}
