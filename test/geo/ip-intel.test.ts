// IP enrichment with the data the platform ships (@ip-location-db packages): known addresses get
// the expected country, AS number and organization; the ASN range reader and the network-type rule
// on their edge cases; and what a lookup costs, printed so the ingest budget stays visible.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsnTable } from '../../src/geo/asn-table.js';
import { ipv4ToNumber, ipv6Prefix64, normalizeIp } from '../../src/geo/ip.js';
import { networkType } from '../../src/geo/network-type.js';
import { defaultIpDataPaths, locationOf, NO_IP_FACTS, openIpIntel } from '../../src/geo/service.js';
import { ConfigError, loadConfig } from '../../src/platform/config.js';

const intel = openIpIntel(defaultIpDataPaths());

describe('shipped IP data', () => {
  // Addresses of long-lived networks, stable across the monthly data releases.
  const known: [string, { country?: string; asn: number; network_org: string | RegExp; network_type: string }][] = [
    ['8.8.8.8', { country: 'US', asn: 15169, network_org: 'Google LLC', network_type: 'hosting' }],
    ['18.9.22.69', { country: 'US', asn: 3, network_org: 'Massachusetts Institute of Technology', network_type: 'business' }],
    ['193.0.6.139', { country: 'NL', asn: 3333, network_org: /RIPE/, network_type: 'business' }],
    ['73.162.0.1', { country: 'US', asn: 7922, network_org: /Comcast/, network_type: 'isp' }],
    ['52.94.236.248', { country: 'US', asn: 16509, network_org: /Amazon/, network_type: 'hosting' }],
    ['2001:4860:4860::8888', { asn: 15169, network_org: 'Google LLC', network_type: 'hosting' }],
    ['2a02:8108::1', { country: 'DE', asn: 31334, network_org: /Vodafone/, network_type: 'isp' }],
  ];
  it.each(known)('%s', (ip, expected) => {
    const got = intel.lookup(ip);
    const { network_org, ...rest } = expected;
    expect(got).toMatchObject(rest);
    if (network_org instanceof RegExp) expect(got.network_org).toMatch(network_org);
    else expect(got.network_org).toBe(network_org);
    if (expected.country) expect(got.city).toEqual(expect.any(String));
  });

  it('has a region and city where DB-IP knows them', () => {
    expect(intel.lookup('18.9.22.69')).toMatchObject({ region: 'Massachusetts', city: expect.stringMatching(/Cambridge/) });
  });

  it('answers nothing for private, reserved and loopback addresses', () => {
    for (const ip of ['10.1.2.3', '192.168.0.1', '127.0.0.1', '192.0.2.1', '::1', 'fd00::1']) expect(intel.lookup(ip)).toEqual(NO_IP_FACTS);
  });

  it('reads an IPv4-mapped IPv6 address (what a dual-stack socket reports) as the IPv4 address', () => {
    expect(intel.lookup('::ffff:8.8.8.8')).toEqual(intel.lookup('8.8.8.8'));
  });

  it('costs a few microseconds per lookup', () => {
    const ips = Array.from({ length: 50_000 }, (_, i) => `${(i % 200) + 20}.${(i * 7) % 256}.${(i * 13) % 256}.${i % 256}`);
    const fresh = openIpIntelUncached();
    const t0 = performance.now();
    for (const ip of ips) fresh.lookup(ip);
    const cold = ((performance.now() - t0) * 1000) / ips.length;
    const t1 = performance.now();
    for (let i = 0; i < 50_000; i++) fresh.lookup(ips[i % 500] as string);
    const warm = ((performance.now() - t1) * 1000) / 50_000;
    console.log(`[geo] lookup: ${cold.toFixed(2)} µs for a new address (city + ASN), ${warm.toFixed(3)} µs for a recent one (cache)`);
    expect(cold).toBeLessThan(100);
    expect(warm).toBeLessThan(5);
  });
});

/** The same data behind a fresh cache (openIpIntel shares one instance per process). */
function openIpIntelUncached() {
  const paths = defaultIpDataPaths();
  return openIpIntel({ location: [...(paths.location ?? [])], asn: [...(paths.asn ?? []), join(fixtureDir(), 'empty-tail.csv')] });
}

let dir: string | null = null;
function fixtureDir(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'delivr-geo-'));
  writeFileSync(join(dir, 'empty-tail.csv'), '0,0,0,Nobody\n');
  return dir;
}

describe('AsnTable (CSV ranges)', () => {
  const write = (name: string, text: string): string => {
    const path = join(fixtureDir(), name);
    writeFileSync(path, text);
    return path;
  };

  it('reads numeric and textual IPv4, numeric and textual IPv6, quoted names, a header, in any order', () => {
    const table = AsnTable.fromCsvFiles([
      write(
        'mixed.csv',
        [
          'start,end,asn,org',
          '33554432,33554687,64500,"Example, Inc. ""Quoted"""',
          '1.0.0.0,1.0.0.255,64501,Plain Org',
          '2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64502,V6 Text Org',
          // 2001:db9:: .. 2001:db9::ffff:... as 128-bit decimals.
          '42540766490510755371168322545197776896,42540766569738917885432660138741727231,64503,V6 Num Org\r',
          '',
        ].join('\n'),
      ),
    ]);
    expect(table.size).toBe(4);
    expect(table.lookup('2.0.0.7')).toEqual({ asn: 64500, org: 'Example, Inc. "Quoted"' });
    expect(table.lookup('1.0.0.255')).toEqual({ asn: 64501, org: 'Plain Org' });
    expect(table.lookup('1.0.1.0')).toBeNull();
    expect(table.lookup('0.255.255.255')).toBeNull();
    expect(table.lookup('2001:db8:1234::1')).toEqual({ asn: 64502, org: 'V6 Text Org' });
    expect(table.lookup('2001:db9::42')).toEqual({ asn: 64503, org: 'V6 Num Org' });
    expect(table.lookup('2001:dba::1')).toBeNull();
    expect(table.lookup('not an ip')).toBeNull();
  });

  it('names the file and line of a row it cannot read', () => {
    const path = write('bad.csv', '1.0.0.0,1.0.0.255,64501,Fine\nnonsense,row,x,y\n');
    expect(() => AsnTable.fromCsvFiles([path])).toThrow(/bad\.csv:2: not an ASN range row/);
    expect(() => AsnTable.fromCsvFiles([write('empty.csv', '')])).toThrow(/no ASN ranges/);
  });
});

describe('addresses', () => {
  it('parses IPv4 and the top 64 bits of IPv6', () => {
    expect(ipv4ToNumber('1.2.3.4')).toBe(0x01020304);
    expect(ipv4ToNumber('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4x', '']) expect(ipv4ToNumber(bad)).toBeNull();
    expect(ipv6Prefix64('2001:db8:1:2:3:4:5:6')).toEqual([0x20010db8, 0x00010002]);
    expect(ipv6Prefix64('2001:db8::')).toEqual([0x20010db8, 0]);
    expect(ipv6Prefix64('::ffff:1.2.3.4')).toEqual([0, 0]);
    expect(ipv6Prefix64('ffff:ffff:ffff:ffff::')).toEqual([0xffffffff, 0xffffffff]);
    expect(ipv6Prefix64('1.2.3.4')).toBeNull();
    expect(normalizeIp('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('network type rule', () => {
  it('known networks by number, then hosting and ISP name patterns, otherwise business', () => {
    expect(networkType(16509, 'Amazon.com, Inc.')).toBe('hosting');
    expect(networkType(7922, 'Comcast Cable Communications, LLC')).toBe('isp');
    expect(networkType(64512, 'Example Cloud Hosting GmbH')).toBe('hosting');
    expect(networkType(64512, 'Example Data Center Ltd')).toBe('hosting');
    expect(networkType(64512, 'Example Telecom Networks')).toBe('isp');
    expect(networkType(64512, 'Acme Broadband Cable')).toBe('isp');
    expect(networkType(64512, 'Cloud Telecom')).toBe('hosting');
    expect(networkType(64512, 'Siemens AG')).toBe('business');
    expect(networkType(64512, 'Universite du Quebec')).toBe('business');
    expect(networkType(64512, 'Orange County Government')).toBe('business');
    expect(networkType(64512, null)).toBe('business');
  });
});

describe('record layouts', () => {
  it("reads ip-location-db's flat records and GeoIP2's nested ones", () => {
    expect(locationOf({ country_code: 'FR', state1: 'Ile-de-France', state2: '', city: 'Paris' })).toEqual({
      country: 'FR',
      region: 'Ile-de-France',
      city: 'Paris',
    });
    expect(
      locationOf({
        country: { iso_code: 'DE', names: { en: 'Germany' } },
        subdivisions: [{ iso_code: 'BE', names: { en: 'Land Berlin' } }],
        city: { names: { en: 'Berlin', de: 'Berlin' } },
      }),
    ).toEqual({ country: 'DE', region: 'Land Berlin', city: 'Berlin' });
    expect(locationOf({ registered_country: { iso_code: 'SE' } })).toEqual({ country: 'SE', region: null, city: null });
  });
});

describe('configuration', () => {
  it('uses the shipped data by default, turns a part off with "off", and refuses missing files', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'delivr-geo-config-'));
    expect(loadConfig({ DATA_DIR: dataDir }).ipData).toEqual({ location: 'default', asn: 'default' });
    expect(loadConfig({ DATA_DIR: dataDir, GEO_LOCATION_DB: 'off', GEO_ASN_DB: 'off' }).ipData).toEqual({ location: null, asn: null });
    const city = defaultIpDataPaths().location?.[0] as string;
    expect(loadConfig({ DATA_DIR: dataDir, GEO_LOCATION_DB: city }).ipData.location).toEqual([city]);
    expect(() => loadConfig({ DATA_DIR: dataDir, GEO_ASN_DB: '/nonexistent/asn.mmdb' })).toThrow(ConfigError);
  });
});
