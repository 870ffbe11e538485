// Wire shapes of the Taxonomy API (spec section 8, decisions in 16) and the mapping from catalog
// rows to them. Every data-API answer is wrapped in {"response": ...} as Delivr's taxonomy is.
import { type Static, Type } from 'typebox';

export const ATTRIBUTION =
  'The default taxonomy is derived from the IAB Tech Lab Content Taxonomy 3.1 and Audience Taxonomy 1.1, © IAB Tech Lab, ' +
  'licensed under the Creative Commons Attribution 3.0 License (https://creativecommons.org/licenses/by/3.0/).';

export const wrap = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object({ response: Type.Object(props) });

const Time = Type.String({ description: 'RFC 3339, UTC' });
const NullableTime = Type.Union([Type.String(), Type.Null()]);
const NullableId = Type.Union([Type.String(), Type.Null()]);

export const TopicTypeField = Type.Union([Type.Literal('B2B'), Type.Literal('B2C')]);
export const CatalogStatusField = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
export const RequestStatusField = Type.Union([Type.Literal('waiting_for_approval'), Type.Literal('accepted'), Type.Literal('rejected')]);

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 50;

const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `default ${DEFAULT_LIMIT}` })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  search: Type.Optional(Type.String({ maxLength: 200, description: 'words that must all appear in the name (topics: name or keywords)' })),
};

export const CategoriesQuery = Type.Object({ ...PageQuery, status: Type.Optional(CatalogStatusField) });
export const CategoriesCountQuery = Type.Object({ search: PageQuery.search, status: Type.Optional(CatalogStatusField) });
const IdFilter = Type.Optional(Type.String({ maxLength: 100 }));
export const SubcategoriesQuery = Type.Object({ ...PageQuery, status: Type.Optional(CatalogStatusField), category_id: IdFilter });
export const SubcategoriesCountQuery = Type.Object({
  search: PageQuery.search,
  status: Type.Optional(CatalogStatusField),
  category_id: IdFilter,
});
const TopicFilters = {
  status: Type.Optional(CatalogStatusField),
  category_id: IdFilter,
  subcategory_id: IdFilter,
  topic_type: Type.Optional(TopicTypeField),
};
export const TopicsQuery = Type.Object({ ...PageQuery, ...TopicFilters });
export const TopicsCountQuery = Type.Object({ search: PageQuery.search, ...TopicFilters });
export const TopicRequestsQuery = Type.Object({ ...PageQuery, status: Type.Optional(RequestStatusField) });
export const TopicRequestsCountQuery = Type.Object({ search: PageQuery.search, status: Type.Optional(RequestStatusField) });

const IdString = Type.String({ minLength: 1, maxLength: 100 });
export const IdParam = <K extends string>(name: K) => Type.Object({ [name]: IdString } as Record<K, typeof IdString>);

export const CategoryOut = Type.Object({
  category_id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  status: Type.String(),
  created_at: Time,
  updated_at: NullableTime,
});

export const SubcategoryOut = Type.Object({
  subcategory_id: Type.String(),
  category_id: Type.String(),
  category_name: Type.String(),
  name: Type.String(),
  description: Type.String(),
  status: Type.String(),
  created_at: Time,
  updated_at: NullableTime,
});

export const TopicOut = Type.Object({
  topic_id: Type.String(),
  category_id: NullableId,
  category_name: NullableId,
  subcategory_id: NullableId,
  subcategory_name: NullableId,
  name: Type.String(),
  description: Type.String(),
  keywords: Type.Array(Type.String()),
  topic_type: Type.String(),
  status: Type.String(),
  custom: Type.Boolean({ description: "true for the organization's own accepted topic" }),
  created_at: Time,
  updated_at: NullableTime,
});

export const TopicRequestOut = Type.Object({
  topic_request_id: Type.String(),
  topic_id: Type.String({ description: 'the id the topic has once accepted' }),
  name: Type.String(),
  description: Type.String(),
  keywords: Type.Array(Type.String()),
  category_id: NullableId,
  subcategory_id: NullableId,
  topic_type: Type.String(),
  status: RequestStatusField,
  review_note: NullableId,
  created_at: Time,
  updated_at: NullableTime,
  reviewed_at: NullableTime,
});

export const ReviewOut = Type.Object({ review_id: Type.String(), status: RequestStatusField, note: NullableId, created_at: Time });

const Keywords = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 });
const NameField = Type.String({ minLength: 1, maxLength: 200 });
const DescriptionField = Type.String({ maxLength: 2000 });
const PlacementId = Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]);

export const TopicRequestBody = Type.Object({
  name: NameField,
  description: Type.Optional(DescriptionField),
  keywords: Type.Optional(Keywords),
  category_id: Type.Optional(PlacementId),
  subcategory_id: Type.Optional(PlacementId),
  topic_type: TopicTypeField,
});

export const TopicRequestPatch = Type.Object({
  name: Type.Optional(NameField),
  description: Type.Optional(DescriptionField),
  keywords: Type.Optional(Keywords),
  category_id: Type.Optional(PlacementId),
  subcategory_id: Type.Optional(PlacementId),
  topic_type: Type.Optional(TopicTypeField),
});

// The dashboard's Topics page (session API): the same rows, unwrapped, with totals for paging.
export const DashboardTopicsOut = Type.Object({ topics: Type.Array(TopicOut), total: Type.Integer() });
export const DashboardCategoriesOut = Type.Object({ categories: Type.Array(CategoryOut) });
export const DashboardTopicRequestsOut = Type.Object({ topic_requests: Type.Array(TopicRequestOut), total: Type.Integer() });
export const DashboardTopicRequestOut = Type.Object({ topic_request: TopicRequestOut });

export type TaxonomyTopic = Static<typeof TopicOut>;
export type TaxonomyCategory = Static<typeof CategoryOut>;
export type TopicRequest = Static<typeof TopicRequestOut>;
export type TopicRequestInputBody = Static<typeof TopicRequestBody>;
export type DashboardTopicsBody = Static<typeof DashboardTopicsOut>;
export type DashboardCategoriesBody = Static<typeof DashboardCategoriesOut>;
export type DashboardTopicRequestsBody = Static<typeof DashboardTopicRequestsOut>;
export type DashboardTopicRequestBody = Static<typeof DashboardTopicRequestOut>;
