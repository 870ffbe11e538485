// Wire schemas of the demo loader (dashboard and operator API). Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';

/** Sizes of the demo dataset, shared by these schemas, the CLI and the service. */
export const DEMO_DEFAULTS = { people: 2000, days: 28 } as const;
export const DEMO_LIMITS = { people: { min: 10, max: 50_000 }, days: { min: 7, max: 90 } } as const;

export const DemoBody = Type.Object(
  {
    people: Type.Optional(
      Type.Integer({
        minimum: DEMO_LIMITS.people.min,
        maximum: DEMO_LIMITS.people.max,
        description: `People with profiles (default ${DEMO_DEFAULTS.people}); four in five browse the demo site.`,
      }),
    ),
    days: Type.Optional(
      Type.Integer({
        minimum: DEMO_LIMITS.days.min,
        maximum: DEMO_LIMITS.days.max,
        description: `Days of history (default ${DEMO_DEFAULTS.days}).`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const DemoLoadedOut = Type.Object({
  project_id: Type.String(),
  pixel_id: Type.String(),
  people: Type.Integer({ description: 'Profiles written' }),
  identified_people: Type.Integer({ description: 'People linked to the visitors that browsed the demo site' }),
  surging_people: Type.Integer({ description: 'People researching one topic in the last three days' }),
  events: Type.Integer({ description: 'Events written' }),
  topic_ids: Type.Array(Type.String(), { description: 'The topics the demo site is about' }),
});
export type DemoLoadedOut = Static<typeof DemoLoadedOut>;
