// Wire schemas of the field catalog (spec section 10). Pure TypeBox.
import { type Static, Type } from 'typebox';

const lit = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const FieldCatalogQuery = Type.Object({
  schema_type: Type.Optional(lit('event', 'audience')),
  category: Type.Optional(lit('contact', 'company', 'demographics', 'intent', 'event', 'identifier')),
  status: Type.Optional(lit('active', 'deprecated', 'all')),
  include_options: Type.Optional(lit('true', 'false')),
});

export const CatalogFieldOut = Type.Object({
  id: Type.String({ format: 'uuid' }),
  field_key: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  data_type: Type.String(),
  schema_types: Type.Array(Type.String()),
  field_type: Type.String(),
  operators: Type.Array(Type.String()),
  options: Type.Optional(Type.Array(Type.Object({ value: Type.String(), label: Type.String() }))),
  status: Type.String(),
  sort_order: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const FieldCatalogOut = Type.Object({ total_count: Type.Integer(), fields: Type.Array(CatalogFieldOut) });

export type CatalogFieldWire = Static<typeof CatalogFieldOut>;
export type FieldCatalogBody = Static<typeof FieldCatalogOut>;
