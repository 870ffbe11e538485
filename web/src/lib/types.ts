// The web app's wire types: the server's own, built from its route schemas (src/wire.ts). Nothing
// here is written by hand, so a server change the app cannot read fails `tsc -p web`.
import type { EventCounts } from '../../../src/wire.js';

export type * from '../../../src/wire.js';
/** The dashboard's pixel (the Partner API's `Pixel` is another shape). */
export type { DashboardPixel as Pixel } from '../../../src/wire.js';

/** One bar of an event-count chart. */
export type Bucket = NonNullable<EventCounts['buckets']>[number];
