// Words for what the API sends as codes: event types, devices, countries, stats properties, and
// numbers as people read them (durations, percentages, counts), in the reader's own locale. Event
// type names live with the other names in format.ts.
import { eventTypeName } from './format';

const DEVICES: Record<string, string> = {
  desktop: 'Desktop',
  mobile: 'Mobile',
  tablet: 'Tablet',
  smarttv: 'Smart TV',
  console: 'Game console',
  wearable: 'Wearable',
  embedded: 'Embedded device',
  xr: 'VR / AR headset',
  bot: 'Bot',
};
export const deviceName = (device: string): string => DEVICES[device] ?? device;

const NETWORK_TYPES: Record<string, string> = { isp: 'Internet provider', hosting: 'Hosting / cloud', business: 'Company network' };

let regions: Intl.DisplayNames | null = null;
/** "DE" → "Germany", in the reader's language. */
export function countryName(code: string): string {
  try {
    regions ??= new Intl.DisplayNames(undefined, { type: 'region' });
    return regions.of(code) ?? code;
  } catch {
    return code;
  }
}

/** A breakdown value as shown: human names where the value is a code; null is "(none)". */
export function valueName(property: string, value: string | null): string {
  if (value === null || value === '') return property === 'source' ? 'Direct / None' : '(none)';
  switch (property) {
    case 'event_type':
      return eventTypeName(value);
    case 'device':
      return deviceName(value);
    case 'country':
      return countryName(value);
    case 'network_type':
      return NETWORK_TYPES[value] ?? value;
    default:
      return value;
  }
}

export const PROPERTY_LABEL: Record<string, string> = {
  page: 'Page',
  entry_page: 'Entry page',
  exit_page: 'Exit page',
  source: 'Source',
  channel: 'Channel',
  referrer: 'Referrer',
  utm_source: 'UTM source',
  utm_medium: 'UTM medium',
  utm_campaign: 'UTM campaign',
  country: 'Country',
  region: 'Region',
  city: 'City',
  browser: 'Browser',
  os: 'Operating system',
  device: 'Device',
  event_type: 'Event',
  network: 'Network',
  network_type: 'Network type',
  company: 'Company',
  person: 'Person',
};

const count = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
export const formatCount = (n: number): string => (n >= 100_000 ? compact.format(n) : count.format(n));

/** Seconds as "1h 02m", "3m 05s" or "42s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
