// Wire schemas of pixels (Partner API and dashboard). Pure TypeBox, so the web app imports the types.
import { type Static, Type } from 'typebox';
import { Id, NullableString, wrap } from '../platform/schemas.js';

/** Request/response field: the enabled trackers, by name. */
export const TrackersField = Type.Array(Type.String({ maxLength: 40 }), {
  maxItems: 20,
  description: 'Optional trackers to enable (GET /dashboard/api/pixel-trackers lists them). Page views on load are always sent.',
});

/** Request/response field: where the pixel's redirects (send-event/get, sync) may go. */
export const RedirectHostsField = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
  maxItems: 50,
  description:
    'Host names the redirects of this pixel may go to (`redir` of send-event/get and sync): `shop.example.com`, or `*.example.com` for its subdomains. Other targets answer 400.',
  examples: [['shop.example.com', '*.partner.example']],
});

/** The settings a pixel is created or changed with, beside its title: one schema for every route. */
export const PixelSettingsFields = {
  trackers: Type.Optional(TrackersField),
  respect_privacy_signals: Type.Optional(Type.Boolean({ description: 'Send nothing from browsers with Do Not Track or GPC on' })),
  redirect_hosts: Type.Optional(RedirectHostsField),
};

const Title = Type.String({ minLength: 1, maxLength: 200 });

// Delivr documents {"title"}; trackers and respect_privacy_signals are our additions (optional).
export const PixelCreateBody = Type.Object({ title: Title, ...PixelSettingsFields });
export const PixelUpdateBody = Type.Object({ title: Type.Optional(Title), ...PixelSettingsFields });

export const PixelOut = Type.Object({
  pixel_id: Type.String(),
  project_id: Type.String(),
  title: Type.String(),
  installation_url: Type.String(),
  status: Type.String(),
  created_at: Type.String({ description: 'YYYY-MM-DD HH:MM:SS, UTC' }),
  trackers: TrackersField,
  respect_privacy_signals: Type.Boolean(),
  redirect_hosts: RedirectHostsField,
});

/** The dashboard's pixel: the Partner API's fields, the install snippet and the install check. */
export const DashboardPixelOut = Type.Object({
  ...PixelOut.properties,
  snippet: Type.String(),
  first_event_at: NullableString,
});

export const PartnerPixelCreated = wrap({ pixel_id: Type.String(), installation_url: Type.String() });
export const PartnerPixels = Type.Object({
  response: Type.Object({ pixels: Type.Optional(Type.Array(PixelOut)), pixel: Type.Optional(PixelOut) }),
});
export const PartnerPixelQuery = Type.Object({ pixel_id: Type.Optional(Type.String({ maxLength: 100 })) });
export const PartnerPixelDeleteBody = Type.Object({ pixel_id: Id });
export const PartnerPixelDeleted = wrap({ pixel_id: Type.String(), status: Type.String() });

export const PixelEnvelope = Type.Object({ pixel: PixelOut });
export const DashboardPixelList = Type.Object({ pixels: Type.Array(DashboardPixelOut) });

export const TrackerOptionOut = Type.Object({
  name: Type.String(),
  label: Type.String(),
  events: Type.Array(Type.String()),
  default: Type.Boolean(),
});
/** sizes[mask] is the gzipped script, bit i of mask = trackers[i]. */
export const TrackerCatalogOut = Type.Object({ trackers: Type.Array(TrackerOptionOut), sizes: Type.Array(Type.Integer()) });

export const PixelStatusOut = Type.Object({ pixel_id: Type.String(), first_event_at: NullableString });

export type Pixel = Static<typeof PixelOut>;
export type DashboardPixel = Static<typeof DashboardPixelOut>;
export type TrackerOption = Static<typeof TrackerOptionOut>;
export type TrackerCatalog = Static<typeof TrackerCatalogOut>;
export type PixelStatus = Static<typeof PixelStatusOut>;
export type DashboardPixelListBody = Static<typeof DashboardPixelList>;
export type PixelBodyOut = Static<typeof PixelEnvelope>;
