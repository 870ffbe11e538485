// Catalog rows of pixels → their wire shapes.
import { formatIso, formatSqlTime } from '../platform/time.js';
import { parseStoredRedirectHosts } from './redirect-hosts.js';
import type { DashboardPixel, Pixel as PixelWire } from './schemas.js';
import type { PixelsService } from './service.js';
import type { Pixel } from './store.js';
import { parseStoredTrackers } from './trackers.js';

export const pixelView = (pixels: PixelsService, p: Pixel): PixelWire => ({
  pixel_id: p.id,
  project_id: p.project_id,
  title: p.title,
  installation_url: pixels.installationUrl(p.id),
  status: p.status,
  created_at: formatSqlTime(p.created_at),
  trackers: parseStoredTrackers(p.trackers),
  respect_privacy_signals: p.respect_privacy === 1,
  redirect_hosts: parseStoredRedirectHosts(p.redirect_hosts),
});

export const dashboardPixelView = (pixels: PixelsService, p: Pixel): DashboardPixel => ({
  ...pixelView(pixels, p),
  snippet: pixels.snippet(p.id),
  first_event_at: p.first_event_at === null ? null : formatIso(p.first_event_at),
});
